import FakeOllama
import Foundation
import Postgres
import Testing

/// Two gateway processes on one PostgreSQL and one Redis: a change made through one is enforced by
/// the other within a second, and no key secret is left anywhere after it was shown.
@Suite("Revocation across gateways", .serialized)
struct RevocationTests {
    static let master = "sk-master-revocation-test-0123456789"
    static let chat = #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#
    private let http = HTTP.shared

    /// Two gateway processes on one fresh database, Redis at `redisURL` and one fake Ollama, for `body`.
    /// Calls `gateway` with `secret` every 20 ms while it answers 200, until `limit` after `since`; returns the
    /// last status (0 when a call failed outright).
    static func statusOnceRefused(_ gateway: GatewayProcess, secret: String, since: ContinuousClock.Instant, limit: Duration) async -> Int {
        var status = 200
        while status == 200 && since.duration(to: .now) < limit {
            status = (try? await HTTP.shared.request("POST", gateway.baseURL + "/v1/chat/completions", json: chat, key: secret).status) ?? 0
            if status == 200 { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return status
    }

    private func withTwoGateways(
        redisURL: String, _ body: (_ first: GatewayProcess, _ second: GatewayProcess) async throws -> Void
    ) async throws {
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        async let startFirst = GatewayProcess.start(databaseURL: database, redisURL: redisURL, ollamaURL: fake.baseURL, masterKey: Self.master)
        async let startSecond = GatewayProcess.start(databaseURL: database, redisURL: redisURL, ollamaURL: fake.baseURL, masterKey: Self.master)
        let (first, second) = try await (startFirst, startSecond)
        defer {
            first.terminate()
            second.terminate()
        }
        try await body(first, second)
        await fake.stop()
    }

    @Test("A key revoked through one gateway fails on the other within one second")
    func revocationReachesEveryGateway() async throws {
        try await withTwoGateways(redisURL: try TestServices.redisURL) { first, second in
            for revoke in ["block", "delete", "regenerate"] {
                let created = try await http.request("POST", first.baseURL + "/key/generate", json: "{}", key: Self.master)
                let secret = try #require(HTTP.json(created.body)?["key"] as? String)
                // The second gateway learns the key (and caches it).
                for _ in 0..<3 {
                    #expect(try await http.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)
                }
                let body = revoke == "delete" ? #"{"keys":["\#(secret)"]}"# : #"{"key":"\#(secret)"}"#
                let revoked = try await http.request("POST", first.baseURL + "/key/\(revoke)", json: body, key: Self.master)
                #expect(revoked.status == 200)
                let start = ContinuousClock.now
                let status = await Self.statusOnceRefused(second, secret: secret, since: start, limit: .seconds(3))
                #expect(status == 401, "\(revoke): the second gateway still accepts the key")
                #expect(start.duration(to: .now) < .seconds(1), "\(revoke) took \(start.duration(to: .now)) to reach the second gateway")
            }
        }
    }

    @Test("After a Redis restart, a block made through one gateway is enforced by the other within 1 s of being made")
    func blockAfterRedisRestart() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await withTwoGateways(redisURL: redis.url) { first, second in
            let created = try await http.request("POST", first.baseURL + "/key/generate", json: "{}", key: Self.master)
            let secret = try #require(HTTP.json(created.body)?["key"] as? String)
            // A itself has used Redis (its command connection is the one a restart leaves stale).
            #expect(try await http.request("POST", first.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)

            redis.stop()
            try await redis.start()
            let back = ContinuousClock.now
            // B learns the key again once it has re-subscribed, and caches it.
            while back.duration(to: .now) < .milliseconds(600) {
                #expect(try await http.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)
                try await Task.sleep(for: .milliseconds(50))
            }
            let blockedAt = ContinuousClock.now
            let blocked = try await http.request("POST", first.baseURL + "/key/block", json: #"{"key":"\#(secret)"}"#, key: Self.master)
            #expect(blocked.status == 200)
            let status = await Self.statusOnceRefused(second, secret: secret, since: back, limit: .seconds(5))
            // The block is made after Redis is back (and after B re-learned the key, 0.6 s of this test's own
            // making), so its bound is the ordinary one: enforced everywhere within 1 s of being made.
            let enforced = blockedAt.duration(to: .now)
            #expect(status == 401, "the second gateway still accepts the blocked key")
            #expect(enforced < .seconds(1), "the block reached the second gateway \(enforced) after it was made")
            print("block enforced on the second gateway \(enforced) after it was made, \(back.duration(to: .now)) after Redis was back")
        }
    }

    @Test("A block made while Redis is down says propagation is pending, and is enforced everywhere within 1 s of Redis being back")
    func blockDuringRedisOutage() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await withTwoGateways(redisURL: redis.url) { first, second in
            let created = try await http.request("POST", first.baseURL + "/key/generate", json: "{}", key: Self.master)
            let secret = try #require(HTTP.json(created.body)?["key"] as? String)
            #expect(try await http.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)

            redis.stop()
            let blocked = try await http.request("POST", first.baseURL + "/key/block", json: #"{"key":"\#(secret)"}"#, key: Self.master)
            #expect(blocked.status == 200)
            #expect(HTTP.json(blocked.body)?["propagation"] as? String == "pending", "\(blocked.body)")
            // B cannot hear of it, so it trusts nothing it cached for more than a second.
            let start = ContinuousClock.now
            let status = await Self.statusOnceRefused(second, secret: secret, since: start, limit: .seconds(5))
            #expect(status == 401, "the second gateway accepted the blocked key during the outage")
            #expect(start.duration(to: .now) < .milliseconds(1500))

            try await redis.start()
            let back = ContinuousClock.now
            // After Redis returns, the block holds on B (cache re-validated), and an unblock reaches B at once.
            while back.duration(to: .now) < .seconds(1) {
                #expect(try await http.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 401)
                try await Task.sleep(for: .milliseconds(50))
            }
            let unblocked = try await http.request("POST", first.baseURL + "/key/unblock", json: #"{"key":"\#(secret)"}"#, key: Self.master)
            #expect(unblocked.status == 200)
            #expect(HTTP.json(unblocked.body)?["propagation"] == nil, "\(unblocked.body)")
        }
    }

    @Test("After creation the secret is nowhere: not in the database, the logs, or any later response")
    func secretIsNeverStored() async throws {
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        let gateway = try await GatewayProcess.start(databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: Self.master)
        let created = try await http.request(
            "POST", gateway.baseURL + "/user/new", json: #"{"user_id":"hana","max_budget":1}"#, key: Self.master
        )
        let secret = try #require(HTTP.json(created.body)?["key"] as? String)
        var later: [String] = []
        later.append(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).body)
        later.append(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: #"{"model":"nope","messages":[]}"#, key: secret).body)
        later.append(try await http.request("GET", gateway.baseURL + "/key/info?key=\(secret)", key: Self.master).body)
        later.append(try await http.request("GET", gateway.baseURL + "/key/list?return_full_object=true", key: Self.master).body)
        later.append(try await http.request("GET", gateway.baseURL + "/user/info?user_id=hana", key: Self.master).body)
        later.append(try await http.request("POST", gateway.baseURL + "/key/update", json: #"{"key":"\#(secret)","rpm_limit":4}"#, key: Self.master).body)
        later.append(try await http.request("POST", gateway.baseURL + "/key/block", json: #"{"key":"\#(secret)"}"#, key: Self.master).body)
        later.append(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).body)
        later.append(try await http.request("GET", gateway.baseURL + "/audit/log", key: Self.master).body)
        try await Task.sleep(for: .milliseconds(400))  // let the usage rows be written
        #expect(await gateway.stop() == 0)

        for (index, body) in later.enumerated() {
            #expect(!body.contains(secret), "response \(index) contains the secret")
            #expect(!body.contains(Self.master), "response \(index) contains the master key")
        }
        let log = gateway.log
        #expect(!log.isEmpty)
        #expect(!log.contains(secret), "the log contains the key secret")
        #expect(!log.contains(Self.master), "the log contains the master key")

        let pool = PostgresPool(configuration: .init(url: database, maxConnections: 1), logger: TestServices.logger)
        let tables = try await pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").rows.compactMap { $0[0] }
        #expect(tables.contains("api_keys") && tables.contains("audit_log") && tables.contains("request_log"))
        for table in tables {
            let dump = try await pool.query("SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') AS dump FROM \(table) t")
            let text = dump.value(0, "dump") ?? ""
            #expect(!text.contains(secret), "table \(table) contains the key secret")
            #expect(!text.contains(String(secret.dropFirst(3))), "table \(table) contains the secret's body")
        }
        #expect(try await pool.query("SELECT 1 FROM request_log").count >= 2)
        await fake.stop()
    }
}
