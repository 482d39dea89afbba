import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Made-up keys cost bounded memory and bounded PostgreSQL work, and one address that keeps guessing
/// is turned away before its guesses cost anything.
@Suite("Unknown-key floods")
struct KeyFloodTests {
    @Test("Thousands of distinct unknown keys: the negative cache stays at its cap, one lookup per new key, none per repeat")
    func negativeCacheIsBounded() async throws {
        try await GatewayHarness.run(configure: {
            $0.auth.negativeCacheSize = 100
            $0.auth.failedAuthPerMinute = 0
        }) { gateway in
            let repeated = "sk-" + String(repeating: "0", count: 48)
            let afterFirst = try await Self.lookupsOnceCached(repeated, gateway)
            for _ in 0..<20 { #expect(try await gateway.chat(key: repeated).status == .unauthorized) }
            #expect(try await Metrics.value(gateway, "tollgate_key_lookups_total") == afterFirst, "a repeated unknown key was looked up again")

            let distinct = 3_000
            for _ in 0..<distinct {
                let key = "sk-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                let status = try await gateway.chat(key: key).status
                if status != .unauthorized { Issue.record("unknown key answered \(status)") }
            }
            let text = try await Metrics.text(gateway)
            #expect(Metrics.value(text, #"tollgate_key_cache_entries{kind="unknown"}"#) == 100)
            #expect(Metrics.value(text, "tollgate_key_lookups_total") == afterFirst + Double(distinct))

            // A key created now works at once although misses were cached: creation clears its hash.
            let secret = try await gateway.newSecret()
            #expect(try await gateway.chat(key: secret).status == .ok)
        }
    }

    /// Sends `key` until the gateway answers it from its cache, and returns the lookup count then. Until the
    /// gateway's Redis subscription is up (moments after start) a cached entry is trusted for only 1 s, so a
    /// repeat a second later may be looked up again; once subscribed, it is not.
    static func lookupsOnceCached(_ key: String, _ gateway: GatewayHarness) async throws -> Double {
        #expect(try await gateway.chat(key: key).status == .unauthorized)
        var lookups = try await Metrics.value(gateway, "tollgate_key_lookups_total")
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(1_100))
            #expect(try await gateway.chat(key: key).status == .unauthorized)
            let now = try await Metrics.value(gateway, "tollgate_key_lookups_total")
            if now == lookups { return now }
            lookups = now
        }
        Issue.record("the unknown key was still looked up on every repeat after 11 s")
        return lookups
    }

    @Test("Past failed_auth_per_minute invalid keys an address gets 429 with Retry-After, before any lookup")
    func failedAuthLimit() async throws {
        try await GatewayHarness.run(configure: { $0.auth.failedAuthPerMinute = 5 }) { gateway in
            let valid = try await gateway.newSecret()
            #expect(try await gateway.chat(key: valid).status == .ok)
            for index in 0..<5 {
                #expect(try await gateway.chat(key: "sk-guess-\(index)").status == .unauthorized)
            }
            let lookups = try await Metrics.value(gateway, "tollgate_key_lookups_total")
            let refused = try await gateway.chat(key: "sk-guess-next")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.openAIError?["code"] as? String == "too_many_failed_auth")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            // Anthropic callers get it in their shape.
            let anthropic = try await gateway.client.execute(
                uri: "/v1/messages", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("x-api-key")!: "sk-guess-anthropic"],
                body: .init(string: #"{"model":"llama3.2","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#)
            )
            #expect(anthropic.status == .tooManyRequests)
            #expect((anthropic.json?["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
            #expect(try await Metrics.value(gateway, "tollgate_key_lookups_total") == lookups, "a refused address still cost a lookup")
            #expect(try await Metrics.value(gateway, #"tollgate_auth_rejections_total{reason="address_limited"}"#) >= 2)
            // The master key is compared before the limiter, so the operator is never locked out.
            #expect(try await gateway.get("/key/list").status == .ok)
        }
    }
}
