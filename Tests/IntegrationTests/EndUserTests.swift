import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// End users behind a shared key: named by Open WebUI's headers (when the key trusts them) or by the
/// body, recorded per usage row, reported by /usage, and limited by their own /customer/* settings.
@Suite("End users")
struct EndUserTests {
    static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"#

    /// A chat call with `key`, sending `headers` too.
    static func chat(_ gateway: GatewayHarness, key: String, body: String = chat, headers extra: [(String, String)]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(key)"]
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return try await gateway.client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test("An Open WebUI key with trusted end-user headers: three end users attributed separately; one over their rpm gets 429, the others are served")
    func openWebUIEndUsers() async throws {
        // Limits live in the shared Redis for a minute: names unique to this run.
        let run = UUID().uuidString.prefix(8)
        let (alice, bob, carol) = ("alice-\(run)", "bob-\(run)", "carol-\(run)")
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret(#"{"key_alias":"open-webui","trust_end_user_headers":true}"#)
            let customer = try await gateway.post("/customer/new", json: #"{"user_id":"\#(carol)","rpm_limit":2}"#)
            #expect(customer.status == .ok, "\(customer.text)")
            #expect((customer.json?["litellm_budget_table"] as? [String: Any])?["rpm_limit"] as? Int == 2)

            var statuses: [String: [Int]] = [:]
            for (user, count) in [(alice, 3), (bob, 2), (carol, 4)] {
                for _ in 0..<count {
                    let response = try await Self.chat(
                        gateway, key: key, headers: [("X-OpenWebUI-User-Id", user), ("X-OpenWebUI-User-Name", "Someone"), ("X-OpenWebUI-User-Email", "\(user)@example.com")]
                    )
                    statuses[user, default: []].append(Int(response.status.code))
                    if response.status == .tooManyRequests {
                        #expect(response.headers[HTTPField.Name("x-ratelimit-level")!] == "end_user")
                        #expect((response.openAIError?["message"] as? String)?.contains("end user '\(carol)'") == true)
                    }
                }
            }
            #expect(statuses[alice] == [200, 200, 200])
            #expect(statuses[bob] == [200, 200])
            #expect(statuses[carol] == [200, 200, 429, 429], "carol is over her rpm_limit of 2")

            _ = try await gateway.requestLog(count: 9)
            let usage = try await gateway.get("/usage?group_by=end_user")
            #expect(usage.status == .ok, "\(usage.text)")
            let rows = try #require(usage.json?["data"] as? [[String: Any]])
            let requests = Dictionary(uniqueKeysWithValues: rows.compactMap { row in
                (row["end_user"] as? String).map { ($0, (row["requests"] as? NSNumber)?.intValue ?? -1) }
            })
            #expect(requests == [alice: 3, bob: 2, carol: 4], "\(rows)")
            let filtered = try await gateway.get("/usage?end_user=\(bob)")
            #expect(((filtered.json?["totals"] as? [String: Any])?["requests"] as? NSNumber)?.intValue == 2)
            let activity = try await gateway.get("/customer/daily/activity")
            let entities = ((activity.json?["results"] as? [[String: Any]])?.first?["breakdown"] as? [String: Any])?["entities"] as? [String: Any]
            #expect(Set(entities?.keys.map { $0 } ?? []) == [alice, bob, carol])

            // Blocking an end user refuses only them.
            #expect(try await gateway.post("/customer/block", json: #"{"user_ids":["\#(alice)"]}"#).status == .ok)
            let blocked = try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", alice)])
            #expect(blocked.status == .forbidden)
            #expect(blocked.openAIError?["code"] as? String == "end_user_blocked")
            #expect(try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", bob)]).status == .ok)
        }
    }

    @Test("Keys that do not trust the headers ignore them; the body's user (OpenAI) and metadata.user_id (Anthropic) name the end user")
    func bodyNamesEndUser() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret()
            let ignored = try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", "mallory")])
            #expect(try await gateway.logRow(ignored.requestID).column("end_user") == nil, "an untrusted header names nobody")

            let openAI = try await Self.chat(
                gateway, key: key, body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"user":"dora"}"#, headers: []
            )
            #expect(openAI.status == .ok)
            #expect(try await gateway.logRow(openAI.requestID).column("end_user") == "dora")

            let anthropic = try await gateway.client.execute(
                uri: "/v1/messages", method: .post, headers: [.contentType: "application/json", HTTPField.Name("x-api-key")!: key],
                body: ByteBuffer(string: #"{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":"eve"}}"#)
            )
            #expect(anthropic.status == .ok, "\(anthropic.text)")
            #expect(try await gateway.logRow(anthropic.requestID).column("end_user") == "eve")

            let trusting = try await gateway.newSecret(#"{"trust_end_user_headers":true}"#)
            let both = try await Self.chat(
                gateway, key: trusting, body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"user":"body-user"}"#,
                headers: [("X-OpenWebUI-User-Email", "fay@example.com")]
            )
            #expect(try await gateway.logRow(both.requestID).column("end_user") == "fay@example.com", "a trusted header wins over the body")

            let wrongType = try await Self.chat(gateway, key: key, body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"user":7}"#, headers: [])
            #expect(wrongType.status == .badRequest)
            let tooLong = try await Self.chat(gateway, key: trusting, headers: [("X-OpenWebUI-User-Id", String(repeating: "x", count: 2000))])
            #expect(tooLong.status == .badRequest)
            #expect(tooLong.openAIError?["code"] as? String == "invalid_end_user")
        }
    }

    @Test("The end-user cache is bounded: past auth.end_user_cache_size the least recently used entries are forgotten, and limits still hold")
    func endUserCacheBound() async throws {
        let run = UUID().uuidString.prefix(8)
        try await GatewayHarness.run(configure: { $0.auth.endUserCacheSize = 2 }) { gateway in
            let key = try await gateway.newSecret(#"{"trust_end_user_headers":true}"#)
            let limited = "lim-\(run)"
            #expect(try await gateway.post("/customer/new", json: #"{"user_id":"\#(limited)","rpm_limit":1}"#).status == .ok)
            #expect(try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", limited)]).status == .ok)
            for index in 0..<5 {
                #expect(try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", "other-\(index)-\(run)")]).status == .ok)
            }
            // Evicted from the cache meanwhile, the limited end user is read again and still limited.
            #expect(try await Self.chat(gateway, key: key, headers: [("X-OpenWebUI-User-Id", limited)]).status == .tooManyRequests)
        }
    }

    @Test("A LiteLLM admin script (httpx, as LiteLLM's docs write the calls) makes a team, adds a member, mints a team key and reads the team's spend")
    func liteLLMAdminScript() async throws {
        try await GatewayHarness.run { gateway in
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let timeout = Duration.seconds(120)
            let run = try await PythonScript.run(
                "Tests/clients/litellm_teams.py", environment: ["TOLLGATE_URL": url, "TOLLGATE_MASTER_KEY": GatewayHarness.masterKey], timeout: timeout
            )
            #expect(run.status == 0, "litellm_teams.py \(run.status.map { "exited with \($0)" } ?? "was killed after \(timeout)"):\n\(run.output)")
            let expected: Set<String> = ["team_new", "member_add", "key_generate", "team_call", "team_info_spend", "team_list"]
            #expect(expected.isSubset(of: run.passedChecks), "checks without ok: \(expected.subtracting(run.passedChecks))\n\(run.output)")
        }
    }
}
