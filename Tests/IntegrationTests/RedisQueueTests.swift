import Foundation
import Redis
import Testing

/// The Redis client's queue is bounded and every command has a deadline: a Redis that stops answering
/// (frozen with SIGSTOP, so its connections stay open) makes commands fail fast, never pile up.
@Suite("Redis queue bounds", .timeLimit(.minutes(2)))
struct RedisQueueTests {
    @Test("Frozen Redis: past max_queued commands fail at once with queueFull, the queued ones by their deadline")
    func frozenRedis() async throws {
        let services = PrivateServices()
        do {
            try await services.start()
            let client = RedisClient(
                configuration: .init(url: try RedisURL(parsing: services.redisURL), timeout: .seconds(2), maxQueued: 4, commandTimeout: .milliseconds(500)),
                logger: TestServices.logger
            )
            defer { client.close() }
            #expect(await client.ping())
            try services.signalRedis(SIGSTOP)
            // The first command goes out and holds the thread until the 2 s read timeout.
            let inFlight = Task { try await client.send(["PING"]) }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            let outcomes = await withTaskGroup(of: (RedisError.Code?, Duration).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let code: RedisError.Code?
                        do {
                            _ = try await client.send(["PING"])
                            code = nil
                        } catch let error as RedisError {
                            code = error.code
                        } catch {
                            code = .server
                        }
                        return (code, started.duration(to: .now))
                    }
                }
                var all: [(RedisError.Code?, Duration)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let full = outcomes.filter { $0.0 == .queueFull }
            let expired = outcomes.filter { $0.0 == .timedOut }
            #expect(full.count == 6, "\(outcomes)")
            #expect(full.allSatisfy { $0.1 < .milliseconds(100) }, "queueFull is immediate: \(full.map(\.1))")
            #expect(expired.count == 4, "\(outcomes)")
            #expect(
                expired.allSatisfy { $0.1 >= .milliseconds(400) && $0.1 < .seconds(1) },
                "the queued ones end at their 500 ms deadline, though the thread is stuck for 2 s: \(expired.map(\.1))"
            )
            await #expect(throws: RedisError.self) { try await inFlight.value }
            try services.signalRedis(SIGCONT)
            // Redis is answered again once it thaws (the timed-out connection is reopened).
            let deadline = ContinuousClock.now + .seconds(5)
            var back = false
            while !back && ContinuousClock.now < deadline {
                back = await client.ping()
                if !back { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(back)
        } catch {
            Issue.record(error)
        }
        try? services.signalRedis(SIGCONT)
        await services.stop()
    }
}
