import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Redis
import Testing

/// Redis stopped while the gateway runs: limits behave as configured, and come back without a restart.
/// Each test runs its own redis-server, so stopping it disturbs no other test.
@Suite("Redis outage")
struct RedisOutageTests {
    @Test("fail_open: a per-process limiter takes over while Redis is down; Redis limits resume when it returns")
    func failOpen() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await GatewayHarness.run(configure: {
            $0.redis.url = redis.url
            $0.limits.redisFailure = .failOpen
        }) { gateway in
            let before = try await gateway.newSecret(#"{"rpm_limit":2}"#)
            #expect(try await statuses(gateway, key: before, count: 3) == [200, 200, 429])

            redis.stop()
            // Keys made while Redis is down still work (lookups go to PostgreSQL); the local limiter counts.
            let during = try await gateway.newSecret(#"{"rpm_limit":2}"#)
            #expect(try await statuses(gateway, key: during, count: 3) == [200, 200, 429])

            try await redis.start()
            try await Task.sleep(for: .milliseconds(400))
            let after = try await gateway.newSecret(#"{"rpm_limit":1}"#)
            #expect(try await statuses(gateway, key: after, count: 2) == [200, 429])
            // The request was admitted through Redis again: its window key is there.
            #expect(try await redis.keys("tollgate:lim:*rpm*").isEmpty == false)
        }
    }

    @Test("fail_closed: model calls are refused with 503 while Redis is down, and served again when it returns")
    func failClosed() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await GatewayHarness.run(configure: {
            $0.redis.url = redis.url
            $0.limits.redisFailure = .failClosed
        }) { gateway in
            let secret = try await gateway.newSecret(#"{"rpm_limit":100}"#)
            #expect(try await statuses(gateway, key: secret, count: 1) == [200])
            redis.stop()
            let refused = try await gateway.chat(key: secret)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.openAIError != nil)
            try await redis.start()
            var status = 0
            let deadline = ContinuousClock.now + .seconds(5)
            while status != 200 && ContinuousClock.now < deadline {
                status = Int(try await gateway.chat(key: secret).status.code)
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200, "limits did not recover without a restart")
        }
    }

    @Test("Spend survives losing Redis's data: it is rebuilt from PostgreSQL before the next admission")
    func spendRebuiltFromPostgres() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await GatewayHarness.run(configure: { $0.redis.url = redis.url }) { gateway in
            // One request reserves ≈ 68 micros and costs ≈ 38: a 70-micro budget allows exactly one.
            let key = try await gateway.newSecret(#"{"max_budget":0.00007}"#)
            #expect(try await gateway.post("/v1/chat/completions", json: LimitsTests.body, key: key).status == .ok)
            let spent = try await gateway.requestLog(count: 1)
            #expect(spent.count == 1)
            try await Task.sleep(for: .milliseconds(300))
            // Redis loses everything (a restart without persistence).
            try await redis.flushAll()
            let refused = try await gateway.post("/v1/chat/completions", json: LimitsTests.body, key: key)
            #expect(refused.status == .badRequest, "spend was not rebuilt from PostgreSQL")
            #expect(refused.openAIError?["code"] as? String == "budget_exceeded")
            let info = try await gateway.get("/key/info?key=\(key)")
            #expect(((info.json?["info"] as? [String: Any])?["spend"] as? Double ?? 0) > 0)
        }
    }

    private func statuses(_ gateway: GatewayHarness, key: String, count: Int) async throws -> [Int] {
        var result: [Int] = []
        for _ in 0..<count { result.append(Int(try await gateway.chat(key: key).status.code)) }
        return result
    }
}

/// A redis-server of the test's own, on a fixed free port, that the test can stop and start.
///
/// No pipes: a server started while another test reads a pipe would inherit its write end and keep
/// that reader waiting forever. Output goes to /dev/null and checks go through `RedisClient`.
final class PrivateRedis: @unchecked Sendable {
    // Invariant: used from one test task at a time.
    let port: Int
    private var process: Process?

    init() throws {
        port = try GatewayProcess.freePort()
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts the server and waits until it answers PING.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // A fresh client for each try: one that first met a closed port may wait out a reconnect backoff, and on
        // a loaded machine the server can take seconds to listen.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let client = RedisClient(configuration: .init(url: try RedisURL(parsing: url), timeout: .seconds(1)), logger: TestServices.logger)
            let answered = await client.ping()
            client.close()
            if answered { return }
            guard process.isRunning else {
                throw HTTP.Failure(message: "redis-server exited with status \(process.terminationStatus) (port \(port) taken?)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTP.Failure(message: "redis-server did not start")
    }

    /// Kills the server (SIGKILL: a child spawned from a worker thread may have SIGTERM blocked, and an
    /// abrupt death is the outage being tested anyway).
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the server: it keeps its connections but answers nothing.
    func signal(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    func flushAll() async throws {
        let client = RedisClient(configuration: .init(url: try RedisURL(parsing: url)), logger: TestServices.logger)
        defer { client.close() }
        try await client.send("FLUSHALL")
    }

    /// Keys matching `pattern`.
    func keys(_ pattern: String) async throws -> [String] {
        let client = RedisClient(configuration: .init(url: try RedisURL(parsing: url)), logger: TestServices.logger)
        defer { client.close() }
        return try await client.send("KEYS", pattern).array?.compactMap(\.string) ?? []
    }
}
