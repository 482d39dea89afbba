import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Redis
import Locking
import Testing

/// Rate limits and budgets through Redis: exact under concurrency and across gateway processes.
@Suite("Limits")
struct LimitsTests {
    static let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"#

    /// Sends `count` chat requests at once to `urls` (round robin) with `key`; returns (status, body) of each.
    static func burst(_ count: Int, urls: [String], key: String, body: String = body) async throws -> [(status: Int, body: String)] {
        try await withThrowingTaskGroup(of: (status: Int, body: String).self) { group in
            for index in 0..<count {
                let url = urls[index % urls.count] + "/v1/chat/completions"
                group.addTask { try await HTTP.shared.request("POST", url, json: body, key: key) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    static func code(_ body: String) -> String? { (HTTP.json(body)?["error"] as? [String: Any])?["code"] as? String }

    @Test("100 concurrent requests with rpm_limit 10: exactly 10 pass, 90 get 429 with Retry-After")
    func requestsPerMinute() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret(#"{"rpm_limit":10}"#)
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let results = try await Self.burst(100, urls: [url], key: key)
            #expect(results.filter { $0.status == 200 }.count == 10)
            #expect(results.filter { $0.status == 429 }.count == 90)
            #expect(results.filter { $0.status == 429 }.allSatisfy { Self.code($0.body) == "rate_limit_exceeded" })
            let refused = try await gateway.chat(key: key, model: "gpt-4o-mini")
            #expect(refused.status == .tooManyRequests)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(refused.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "10")
            #expect(refused.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
            #expect(refused.headers[HTTPField.Name("x-ratelimit-reset-requests")!] != nil)
            let row = try await gateway.logRow(refused.requestID)
            #expect(row.column("status") == "client_error")
            #expect(row.column("error_type") == "rate_limit_exceeded")
        }
    }

    /// The scripts are run by their SHA-1 alone; a Redis that lost them (SCRIPT FLUSH, as a restart does)
    /// gets the source once and counts on exactly.
    @Test("rpm stays exact across a SCRIPT FLUSH: 3 pass before it, the limit of 5 holds after")
    func scriptsSurviveAFlush() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret(#"{"rpm_limit":5}"#)
            for _ in 0..<3 { #expect(try await gateway.chat(key: key, model: "gpt-4o-mini").status == .ok) }
            let redis = try RedisTests.client()
            defer { redis.close() }
            #expect(try await redis.send("SCRIPT", "FLUSH").string == "OK")
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let results = try await Self.burst(6, urls: [url], key: key)
            #expect(results.filter { $0.status == 200 }.count == 2)
            #expect(results.filter { $0.status == 429 }.count == 4)
        }
    }

    @Test("an admitted request carries the x-ratelimit headers; the master key is not limited")
    func headersAndMaster() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret(#"{"rpm_limit":3,"tpm_limit":100000}"#)
            let first = try await gateway.chat(key: key, model: "gpt-4o-mini")
            #expect(first.status == .ok)
            #expect(first.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "3")
            #expect(first.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "2")
            #expect(first.headers[HTTPField.Name("x-ratelimit-limit-tokens")!] == "100000")
            #expect(first.headers[HTTPField.Name("x-ratelimit-remaining-tokens")!] != nil)
            for _ in 0..<5 { #expect(try await gateway.chat(key: GatewayHarness.masterKey).status == .ok) }
        }
    }

    @Test("tokens per minute: a request whose estimate does not fit is refused with 429")
    func tokensPerMinute() async throws {
        try await GatewayHarness.run { gateway in
            // Each request reserves 21 prompt tokens (83 body bytes / 4) + 5; settlement replaces that with
            // the real 5 + 5. So 26 → 10, 10 + 26 → 20, then 20 + 26 > 40 is refused.
            let key = try await gateway.newSecret(#"{"tpm_limit":40}"#)
            let body = Self.body
            #expect(try await gateway.post("/v1/chat/completions", json: body, key: key).status == .ok)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await gateway.post("/v1/chat/completions", json: body, key: key).status == .ok)
            try await Task.sleep(for: .milliseconds(100))
            let refused = try await gateway.post("/v1/chat/completions", json: body, key: key)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.openAIError?["code"] as? String == "rate_limit_exceeded")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(refused.headers[HTTPField.Name("x-ratelimit-limit-tokens")!] == "40")
        }
    }

    @Test("parallel requests: streams held open take the slots; the next is refused, then admitted once they end")
    func parallelRequests() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 5, chunkDelay: .milliseconds(300))) { gateway in
            let key = try await gateway.newSecret(#"{"max_parallel_requests":2}"#)
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let streaming = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let results = try await Self.burst(6, urls: [url], key: key, body: streaming)
            #expect(results.filter { $0.status == 200 }.count == 2)
            #expect(results.filter { $0.status == 429 }.count == 4)
            // Settlement frees the slots once the streams end.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.burst(2, urls: [url], key: key).allSatisfy { $0.status == 200 })
        }
    }

    @Test("a budget is never overspent under concurrency; refusals are 400 budget_exceeded")
    func budget() async throws {
        try await GatewayHarness.run { gateway in
            // Reserve ≈ 25 × 1.5 + 5 × 6 ≈ 68 micros; real ≈ 5 × 1.5 + 5 × 6 ≈ 38 micros; budget 400 micros.
            let created = try await gateway.generateKey(#"{"max_budget":0.0004}"#)
            let key = try #require(created["key"] as? String)
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let results = try await Self.burst(50, urls: [url], key: key)
            let ok = results.filter { $0.status == 200 }.count
            #expect(ok >= 5)
            #expect(results.filter { $0.status != 200 }.allSatisfy { $0.status == 400 && Self.code($0.body) == "budget_exceeded" })
            _ = try await gateway.requestLog(count: 50)
            try await Task.sleep(for: .milliseconds(200))
            let cost = try await gateway.database.query("SELECT coalesce(sum(cost_micros), 0)::bigint AS c FROM request_log")
            let spend = try await gateway.database.query("SELECT spend_micros AS s FROM api_keys")
            let logged = Int(cost.value(0, "c") ?? "") ?? -1
            #expect(logged > 0 && logged <= 400)
            #expect(Int(spend.value(0, "s") ?? "") == logged, "spend_micros is incremented from the rows inserted")
        }
    }

    @Test("a user's limits span all of the user's keys")
    func userLimitsSpanKeys() async throws {
        try await GatewayHarness.run { gateway in
            let user = try await gateway.post("/user/new", json: #"{"user_id":"ivy","rpm_limit":2,"auto_create_key":false}"#)
            #expect(user.status == .ok)
            let first = try await gateway.newSecret(#"{"user_id":"ivy"}"#)
            let second = try await gateway.newSecret(#"{"user_id":"ivy"}"#)
            #expect(try await gateway.post("/v1/chat/completions", json: Self.body, key: first).status == .ok)
            #expect(try await gateway.post("/v1/chat/completions", json: Self.body, key: second).status == .ok)
            let refused = try await gateway.post("/v1/chat/completions", json: Self.body, key: first)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.openAIError?["code"] as? String == "rate_limit_exceeded")
            let other = try await gateway.newSecret()
            #expect(try await gateway.post("/v1/chat/completions", json: Self.body, key: other).status == .ok, "keys of other users are not affected")
        }
    }

    @Test("a budget with budget_duration 1h resets exactly at the period boundary")
    func budgetPeriodResets() async throws {
        let offset = Locked<TimeInterval>(0)
        try await GatewayHarness.run(now: { Date().addingTimeInterval(offset.withLock { $0 }) }) { gateway in
            // One request reserves ≈ 68 micros and costs ≈ 38; a 70-micro budget allows exactly one per hour.
            let key = try await gateway.newSecret(#"{"max_budget":0.00007,"budget_duration":"1h"}"#)
            #expect(try await gateway.post("/v1/chat/completions", json: Self.body, key: key).status == .ok)
            try await Task.sleep(for: .milliseconds(100))
            let refused = try await gateway.post("/v1/chat/completions", json: Self.body, key: key)
            #expect(refused.status == .badRequest)
            #expect(refused.openAIError?["code"] as? String == "budget_exceeded")
            #expect((refused.openAIError?["message"] as? String)?.contains("resets at") == true)
            offset.withLock { $0 = 3600 }
            #expect(try await gateway.post("/v1/chat/completions", json: Self.body, key: key).status == .ok, "a new period starts with no spend")
        }
    }

    @Test("two gateway processes on one Redis share the limit: 60 requests, rpm_limit 20, exactly 20 pass")
    func acrossProcesses() async throws {
        let fake = try await FakeOllama.start()
        let databaseURL = try await TestServices.freshDatabase()
        var gateways: [GatewayProcess] = []
        defer { gateways.forEach { $0.terminate() } }
        for _ in 0..<2 {
            gateways.append(
                try await GatewayProcess.start(
                    databaseURL: databaseURL, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL,
                    masterKey: GatewayHarness.masterKey, logLevel: "warning"
                )
            )
        }
        let created = try await HTTP.shared.request(
            "POST", gateways[0].baseURL + "/key/generate", json: #"{"rpm_limit":20}"#, key: GatewayHarness.masterKey
        )
        let key = try #require(HTTP.json(created.body)?["key"] as? String)
        let results = try await Self.burst(60, urls: gateways.map(\.baseURL), key: key)
        #expect(results.filter { $0.status == 200 }.count == 20)
        #expect(results.filter { $0.status == 429 }.count == 40)
        await fake.stop()
    }
}
