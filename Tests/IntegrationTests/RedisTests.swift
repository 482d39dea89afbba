import Foundation
import Locking
@testable import Redis
import Testing

/// The pipelining hiredis client against a real Redis.
@Suite("Redis")
struct RedisTests {
    static func client() throws -> RedisClient {
        RedisClient(configuration: .init(url: try RedisURL(parsing: try TestServices.redisURL)), logger: TestServices.logger)
    }

    @Test("Commands from many tasks all get their own replies")
    func pipelining() async throws {
        let redis = try Self.client()
        defer { redis.close() }
        let key = "test:counter:\(UUID().uuidString)"
        let replies = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<500 {
                group.addTask { try await redis.send("INCR", key).integer ?? -1 }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(replies) == Set(1...500))
        #expect(try await redis.send("GET", key).integer == 500)
        try await redis.send("DEL", key)
    }

    @Test("Binary-safe arguments and every reply type")
    func replyTypes() async throws {
        let redis = try Self.client()
        defer { redis.close() }
        let key = "test:value:\(UUID().uuidString)"
        let value = "spaces and \"quotes\"\r\n ü 😀"
        #expect(try await redis.send("SET", key, value) == .status("OK"))
        #expect(try await redis.send("GET", key).string == value)
        #expect(try await redis.send("GET", key + ":missing") == .null)
        #expect(try await redis.send("RPUSH", key + ":list", "a", "b") == .integer(2))
        #expect(try await redis.send("LRANGE", key + ":list", "0", "-1") == .array([.string("a"), .string("b")]))
        await #expect(throws: RedisError.self) { try await redis.send("INCR", key) }
        #expect(await redis.ping())
        // An empty argument and a large one (lengths are byte counts, not characters).
        let large = String(repeating: "é", count: 100_000)
        #expect(try await redis.send("SET", key, "") == .status("OK"))
        #expect(try await redis.send("STRLEN", key) == .integer(0))
        #expect(try await redis.send("SET", key, large) == .status("OK"))
        #expect(try await redis.send("STRLEN", key) == .integer(200_000))
        try await redis.send("DEL", key, key + ":list")
    }

    @Test("Commands are written as RESP arrays of bulk strings")
    func respEncoding() {
        #expect(String(decoding: RedisConnection.resp(["GET", "k"]), as: UTF8.self) == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        #expect(String(decoding: RedisConnection.resp(["SET", "ü", ""]), as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$2\r\nü\r\n$0\r\n\r\n")
        // Lengths and counts of several digits are written most significant digit first.
        let long = String(repeating: "x", count: 1203)
        let eleven = ["RPUSH", "l"] + (1...9).map(String.init)
        #expect(String(decoding: RedisConnection.resp(["SET", long]), as: UTF8.self) == "*2\r\n$3\r\nSET\r\n$1203\r\n\(long)\r\n")
        #expect(String(decoding: RedisConnection.resp(eleven), as: UTF8.self).hasPrefix("*11\r\n$5\r\nRPUSH\r\n"))
    }

    @Test("A command sent without waiting hands its reply, or its error reply, to the completion")
    func sendWithCompletion() async throws {
        let redis = try Self.client()
        defer { redis.close() }
        let key = "test:completion:\(UUID().uuidString)"
        let replies = Locked<[Result<RedisValue, any Error>]>([])
        let done = AsyncStream<Void>.makeStream()
        for arguments in [["SET", key, "7"], ["INCRBY", key, "5"], ["HGET", key, "field"]] {
            redis.send(arguments) { result in
                let count = replies.withLock { replies in
                    replies.append(result)
                    return replies.count
                }
                if count == 3 { done.continuation.finish() }
            }
        }
        for await _ in done.stream {}
        let results = replies.withLock { $0 }
        #expect(results.count == 3)
        #expect(try results[0].get() == .status("OK"))
        #expect(try results[1].get() == .integer(12))
        // HGET on a string key: Redis answers WRONGTYPE, which reaches the completion as a server error.
        #expect((results[2].failureError as? RedisError)?.code == .server)
        try await redis.send("DEL", key)
        redis.close()
        let closed = await withCheckedContinuation { continuation in
            redis.send(["PING"]) { continuation.resume(returning: $0) }
        }
        #expect((closed.failureError as? RedisError)?.code == .clientClosed)
    }

    @Test("Nothing listening: commands fail fast with a refused connection, never by waiting out a timeout")
    func unreachable() async throws {
        let configuration = RedisClient.Configuration(url: RedisURL(host: "127.0.0.1", port: 9), timeout: .seconds(1), commandTimeout: .seconds(1))
        let redis = RedisClient(configuration: configuration, logger: TestServices.logger)
        defer { redis.close() }
        // The refusal comes from the connect itself (`connectionFailed`), on the client's own thread, however
        // busy the cooperative pool is; a command that had waited in the queue past its deadline, or a read
        // that had waited for a reply, would end `timedOut` instead. The second command falls in the pause
        // after a failed connect and is refused without another attempt. The wall-clock bound only catches
        // a hang: on a machine loaded by the other suites, resuming the caller can take seconds.
        for _ in 0..<2 {
            let started = ContinuousClock.now
            await #expect {
                try await redis.send("PING")
            } throws: { ($0 as? RedisError)?.code == .connectionFailed }
            #expect(started.duration(to: .now) < .seconds(10))
        }
    }

    @Test("A closed client refuses commands")
    func closed() async throws {
        let redis = try Self.client()
        redis.close()
        await #expect {
            try await redis.send("PING")
        } throws: { ($0 as? RedisError)?.code == .clientClosed }
    }
}

extension Result {
    /// The failure, if this is one.
    fileprivate var failureError: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
