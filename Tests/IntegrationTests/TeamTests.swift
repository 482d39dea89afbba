import FakeOllama
import Foundation
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Teams: limits and budgets nested in the one admission across gateway processes, the team's model list,
/// a team block reaching every gateway, and spend that rolls up exactly.
@Suite("Teams", .serialized)
struct TeamTests {
    static let master = GatewayHarness.masterKey
    /// A cheap call of a priced alias: ≈ 6 micro-dollars reserved, ≈ 4 charged (config/tollgate.yaml's prices).
    static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"#

    /// Two gateway processes on one fresh database and the shared Redis, and a fake Ollama.
    static func twoGateways() async throws -> (FakeOllama, [GatewayProcess], PostgresPool) {
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        async let first = GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: master, logLevel: "warning"
        )
        async let second = GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: master, logLevel: "warning"
        )
        let gateways = try await [first, second]
        return (fake, gateways, PostgresPool(configuration: .init(url: database, maxConnections: 2), logger: TestServices.logger))
    }

    static func admin(_ gateway: GatewayProcess, _ path: String, _ json: String) async throws -> [String: Any] {
        let response = try await HTTP.shared.request("POST", gateway.baseURL + path, json: json, key: master)
        #expect(response.status == 200, "\(path): \(response.body)")
        return try #require(HTTP.json(response.body))
    }

    static func message(_ body: String) -> String { ((HTTP.json(body)?["error"] as? [String: Any])?["message"] as? String) ?? "" }

    /// Waits (up to 10 s) until `sql`'s first value reaches `count`.
    static func waitFor(_ database: PostgresPool, _ sql: String, atLeast count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Int((try await database.query(sql).rows.first?.first ?? nil) ?? "0") ?? 0 >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(sql) did not reach \(count) within 10 s")
    }

    @Test("60 concurrent requests on two gateways, keys of two users of one team: the team budget is never passed, refusals say team, spend rolls up exactly")
    func teamBudgetAcrossGateways() async throws {
        let (fake, gateways, database) = try await Self.twoGateways()
        defer { gateways.forEach { $0.terminate() } }
        // ≈ 50 micro-dollars: about ten of these calls. A daily period, so the spend is seeded from the period's rows.
        let team = try await Self.admin(gateways[0], "/team/new", #"{"team_alias":"interns","max_budget":0.00005,"budget_duration":"1d"}"#)
        let teamID = try #require(team["team_id"] as? String)
        _ = try await Self.admin(
            gateways[0], "/team/member_add", #"{"team_id":"\#(teamID)","member":[{"user_id":"ann","role":"admin"},{"user_id":"ben"}]}"#
        )
        var keys: [String] = []
        for user in ["ann", "ben"] {
            let key = try await Self.admin(gateways[1], "/key/generate", #"{"user_id":"\#(user)","team_id":"\#(teamID)"}"#)
            #expect(key["team_id"] as? String == teamID)
            keys.append(try #require(key["key"] as? String))
        }
        let results = try await withThrowingTaskGroup(of: (status: Int, body: String).self) { group in
            for index in 0..<60 {
                let url = gateways[index % 2].baseURL + "/v1/chat/completions"
                let key = keys[(index / 2) % 2]
                group.addTask { try await HTTP.shared.request("POST", url, json: Self.chat, key: key) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let served = results.filter { $0.status == 200 }.count
        #expect(served >= 5 && served <= 20, "about ten calls fit the team budget; \(served) were served")
        let refused = results.filter { $0.status != 200 }
        #expect(refused.allSatisfy { $0.status == 400 && LimitsTests.code($0.body) == "budget_exceeded" })
        #expect(refused.allSatisfy { Self.message($0.body).contains("team '\(teamID)' (level: team)") }, "\(refused.first?.body ?? "")")

        try await Self.waitFor(database, "SELECT count(*) FROM request_log", atLeast: 60)
        // The spend updates ride in the same statement as the rows; give the last batch a moment to commit.
        try await Self.waitFor(database, "SELECT count(*) FROM request_log WHERE status = 'ok'", atLeast: served)
        let sums = try await database.query(
            """
            SELECT (SELECT spend_micros FROM teams WHERE team_id = $1) AS team,
                   (SELECT sum(spend_micros) FROM api_keys WHERE team_id = $1)::bigint AS keys,
                   (SELECT sum(cost_micros) FROM request_log WHERE team_id = $1)::bigint AS logged,
                   (SELECT count(*) FROM request_log WHERE team_id = $1) AS rows
            """,
            [.text(teamID)]
        )
        let teamSpend = Int(sums.value(0, "team") ?? "") ?? -1
        let logged = Int(sums.value(0, "logged") ?? "") ?? -2
        #expect(sums.value(0, "rows") == "60", "every row names the team")
        #expect(logged > 0 && logged <= 50, "spend \(logged) micros must not pass the 50-micro budget")
        #expect(teamSpend == logged, "team spend = Σ logged cost")
        #expect(Int(sums.value(0, "keys") ?? "") == logged, "Σ key spend = Σ logged cost")

        let info = try await HTTP.shared.request("GET", gateways[1].baseURL + "/team/info?team_id=\(teamID)", key: Self.master)
        let body = try #require(HTTP.json(info.body))
        let teamInfo = try #require(body["team_info"] as? [String: Any])
        #expect((teamInfo["spend_micros"] as? NSNumber)?.intValue == logged)
        let listed = try #require(body["keys"] as? [[String: Any]])
        #expect(listed.count == 2)
        #expect(listed.compactMap { ($0["spend_micros"] as? NSNumber)?.intValue }.reduce(0, +) == logged, "the API's key spends add up to the team's")
        let period = try #require(body["current_period"] as? [String: Any])
        #expect((period["spend_micros"] as? NSNumber)?.intValue == logged, "the current period's spend is the same sum")
        let usage = try await HTTP.shared.request("GET", gateways[0].baseURL + "/usage?group_by=team&team_id=\(teamID)", key: Self.master)
        let rows = try #require(HTTP.json(usage.body)?["data"] as? [[String: Any]])
        #expect(rows.count == 1 && rows.first?["team_id"] as? String == teamID, "\(usage.body)")
        #expect((rows.first?["cost_micros"] as? NSNumber)?.intValue == logged, "/usage reports the same team spend")
        #expect((rows.first?["requests"] as? NSNumber)?.intValue == 60)
        print("team budget: \(served) of 60 served, \(logged) of 50 micro-dollars spent, team = Σ keys = Σ rows")
        await fake.stop()
    }

    @Test("A team's model list narrows a key that allows every model; a team block refuses all its keys on every gateway within 1 s")
    func teamModelsAndBlock() async throws {
        let (fake, gateways, _) = try await Self.twoGateways()
        defer { gateways.forEach { $0.terminate() } }
        let team = try await Self.admin(gateways[0], "/team/new", #"{"team_id":"ml","models":["gpt-4o-mini"]}"#)
        #expect(team["models"] as? [String] == ["gpt-4o-mini"])
        var keys: [String] = []
        for _ in 0..<2 {
            keys.append(try #require(try await Self.admin(gateways[0], "/key/generate", #"{"team_id":"ml"}"#)["key"] as? String))
        }
        let other = #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#
        for gateway in gateways {
            for key in keys {
                #expect(try await HTTP.shared.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: key).status == 200)
                let narrowed = try await HTTP.shared.request("POST", gateway.baseURL + "/v1/chat/completions", json: other, key: key)
                #expect(narrowed.status == 403, "the team allows gpt-4o-mini only: \(narrowed.body)")
                #expect(LimitsTests.code(narrowed.body) == "model_not_allowed")
            }
        }
        let blocked = try await HTTP.shared.request("POST", gateways[0].baseURL + "/team/block", json: #"{"team_id":"ml"}"#, key: Self.master)
        #expect(blocked.status == 200)
        #expect(HTTP.json(blocked.body)?["blocked"] as? Bool == true)
        let start = ContinuousClock.now
        for key in keys {
            var status = 200
            var body = ""
            while status == 200 && start.duration(to: .now) < .seconds(3) {
                (status, body) = try await HTTP.shared.request("POST", gateways[1].baseURL + "/v1/chat/completions", json: Self.chat, key: key)
                if status == 200 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(status == 401, "the second gateway still serves a key of the blocked team")
            #expect(LimitsTests.code(body) == "team_blocked")
        }
        #expect(start.duration(to: .now) < .seconds(1), "the team block took \(start.duration(to: .now)) to reach the second gateway")
        print("team block refused both keys on the second gateway \(start.duration(to: .now)) after the block was answered")
        for key in keys {
            #expect(try await HTTP.shared.request("POST", gateways[0].baseURL + "/v1/chat/completions", json: Self.chat, key: key).status == 401)
        }
        _ = try await Self.admin(gateways[1], "/team/unblock", #"{"team_id":"ml"}"#)
        let back = ContinuousClock.now
        var status = 401
        while status != 200 && back.duration(to: .now) < .seconds(3) {
            status = try await HTTP.shared.request("POST", gateways[0].baseURL + "/v1/chat/completions", json: Self.chat, key: keys[0]).status
            if status != 200 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(status == 200 && back.duration(to: .now) < .seconds(1), "an unblock reaches the other gateway as fast")
        await fake.stop()
    }

    @Test("After a Redis restart, a team block made through one gateway is enforced by the other within 1 s of being made")
    func teamBlockAfterRedisRestart() async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        async let startFirst = GatewayProcess.start(databaseURL: database, redisURL: redis.url, ollamaURL: fake.baseURL, masterKey: Self.master)
        async let startSecond = GatewayProcess.start(databaseURL: database, redisURL: redis.url, ollamaURL: fake.baseURL, masterKey: Self.master)
        let (first, second) = try await (startFirst, startSecond)
        defer {
            first.terminate()
            second.terminate()
        }
        _ = try await Self.admin(first, "/team/new", #"{"team_id":"ops"}"#)
        let secret = try #require(try await Self.admin(first, "/key/generate", #"{"team_id":"ops"}"#)["key"] as? String)
        #expect(try await HTTP.shared.request("POST", first.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)

        redis.stop()
        try await redis.start()
        let back = ContinuousClock.now
        // The second gateway caches the key again once it has re-subscribed.
        while back.duration(to: .now) < .milliseconds(600) {
            #expect(try await HTTP.shared.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status == 200)
            try await Task.sleep(for: .milliseconds(50))
        }
        let blockedAt = ContinuousClock.now
        #expect(try await HTTP.shared.request("POST", first.baseURL + "/team/block", json: #"{"team_id":"ops"}"#, key: Self.master).status == 200)
        var status = 200
        while status == 200 && back.duration(to: .now) < .seconds(5) {
            status = try await HTTP.shared.request("POST", second.baseURL + "/v1/chat/completions", json: Self.chat, key: secret).status
            if status == 200 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(status == 401, "the second gateway still serves the blocked team's key")
        // Made after Redis is back, the block has the ordinary bound: everywhere within 1 s of being made.
        #expect(blockedAt.duration(to: .now) < .seconds(1), "the team block reached the second gateway \(blockedAt.duration(to: .now)) after it was made")
        await fake.stop()
    }

    @Test("Team, user and key limits nest: the tightest refuses, and the refusal and x-ratelimit-level name its level")
    func nestedLevels() async throws {
        // Limits live in the shared Redis for a minute: names unique to this run.
        let run = UUID().uuidString.prefix(8)
        let (t1, t2, uma, ula) = ("t1-\(run)", "t2-\(run)", "uma-\(run)", "ula-\(run)")
        try await GatewayHarness.run { gateway in
            #expect(try await gateway.post("/team/new", json: #"{"team_id":"\#(t1)","rpm_limit":3}"#).status == .ok)
            #expect(try await gateway.post("/user/new", json: #"{"user_id":"\#(uma)","rpm_limit":5,"auto_create_key":false}"#).status == .ok)
            let key = try await gateway.newSecret(#"{"user_id":"\#(uma)","team_id":"\#(t1)","rpm_limit":10}"#)
            for _ in 0..<3 { #expect(try await gateway.chat(key: key, model: "gpt-4o-mini").status == .ok) }
            let refused = try await gateway.chat(key: key, model: "gpt-4o-mini")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[HTTPField.Name("x-ratelimit-level")!] == "team")
            #expect((refused.openAIError?["message"] as? String)?.contains("team '\(t1)' (level: team)") == true, "\(refused.text)")
            #expect(refused.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
            // The team's limit spans its keys: a second key of the team is refused too, a key outside it is not.
            let second = try await gateway.newSecret(#"{"team_id":"\#(t1)"}"#)
            #expect(try await gateway.chat(key: second, model: "gpt-4o-mini").status == .tooManyRequests)
            #expect(try await gateway.chat(key: try await gateway.newSecret(), model: "gpt-4o-mini").status == .ok)

            // A user's tighter limit refuses first and says so.
            #expect(try await gateway.post("/team/new", json: #"{"team_id":"\#(t2)","rpm_limit":100}"#).status == .ok)
            #expect(try await gateway.post("/user/new", json: #"{"user_id":"\#(ula)","rpm_limit":1,"auto_create_key":false}"#).status == .ok)
            let userKey = try await gateway.newSecret(#"{"user_id":"\#(ula)","team_id":"\#(t2)"}"#)
            #expect(try await gateway.chat(key: userKey, model: "gpt-4o-mini").status == .ok)
            let byUser = try await gateway.chat(key: userKey, model: "gpt-4o-mini")
            #expect(byUser.headers[HTTPField.Name("x-ratelimit-level")!] == "user")
        }
    }

    @Test("Team changes are audited; /team/list, member_delete and delete answer in LiteLLM's shapes")
    func teamLifecycle() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.post(
                "/team/new",
                json: #"{"team_alias":"ml","members_with_roles":[{"role":"admin","user_id":"ada"},{"user_email":"bo@example.com"}],"metadata":{"cost_center":7},"tpm_limit":1000}"#
            )
            #expect(created.status == .ok, "\(created.text)")
            let team = try #require(created.json)
            let id = try #require(team["team_id"] as? String)
            #expect(team["admins"] as? [String] == ["ada"])
            #expect((team["members_with_roles"] as? [[String: Any]])?.count == 2)
            #expect((team["metadata"] as? [String: Any])?["cost_center"] as? Int == 7)
            #expect(team["max_budget"] is NSNull, "unset fields are null, as LiteLLM answers")
            let key = try await gateway.newSecret(#"{"team_id":"\#(id)","user_id":"ada"}"#)

            let updated = try await gateway.post("/team/update", json: #"{"team_id":"\#(id)","max_budget":500,"budget_duration":"30d","tpm_limit":null}"#)
            #expect(updated.status == .ok, "\(updated.text)")
            let data = try #require(updated.json?["data"] as? [String: Any])
            #expect(data["max_budget"] as? Double == 500)
            #expect(data["tpm_limit"] is NSNull, "null clears a limit")
            #expect(data["team_alias"] as? String == "ml", "absent fields are left alone")

            let list = try await gateway.get("/team/list?user_id=ada")
            let teams = try #require((try? JSONSerialization.jsonObject(with: Data(list.text.utf8))) as? [[String: Any]])
            #expect(teams.map { $0["team_id"] as? String } == [id])

            let removed = try await gateway.post("/team/member_delete", json: #"{"team_id":"\#(id)","user_email":"bo@example.com"}"#)
            #expect(removed.status == .ok, "\(removed.text)")
            #expect((removed.json?["members_with_roles"] as? [[String: Any]])?.count == 1)

            let deleted = try await gateway.post("/team/delete", json: #"{"team_ids":["\#(id)"]}"#)
            #expect(deleted.status == .ok)
            #expect(deleted.json?["deleted_keys"] as? Int == 1)
            #expect(try await gateway.chat(key: key, model: "gpt-4o-mini").status == .unauthorized, "a deleted team's keys are gone")

            let audit = try await gateway.database.query("SELECT action FROM audit_log WHERE target_type = 'team' ORDER BY id")
            #expect(audit.rows.compactMap { $0[0] } == ["team.new", "team.update", "team.member_delete", "team.delete"])
        }
    }

    @Test("Bad team and customer input gets a clear 4xx, never a 5xx")
    func badInput() async throws {
        try await GatewayHarness.run { gateway in
            #expect(try await gateway.post("/team/new", json: #"{"team_id":"dup","team_alias":"dup"}"#).status == .ok)
            let cases: [(path: String, body: String, status: HTTPResponse.Status, mentions: String)] = [
                ("/key/generate", #"{"team_id":"nope"}"#, .badRequest, "team_id"),
                ("/team/new", #"{"team_id":"dup"}"#, .conflict, "team_id"),
                ("/team/new", #"{"team_alias":"dup"}"#, .conflict, "team_alias"),
                ("/team/new", "not json", .badRequest, "JSON"),
                ("/team/new", "[1,2]", .badRequest, "JSON object"),
                ("/team/new", #"{"team_id":5}"#, .badRequest, "team_id"),
                ("/team/new", #"{"rpm_limit":-1}"#, .badRequest, "rpm_limit"),
                ("/team/new", #"{"rpm_limit":"ten"}"#, .badRequest, "rpm_limit"),
                ("/team/new", #"{"rpm_limit":99999999999}"#, .badRequest, "rpm_limit"),
                ("/team/new", #"{"max_budget":-5}"#, .badRequest, "max_budget"),
                ("/team/new", #"{"budget_duration":"fortnight"}"#, .badRequest, "budget_duration"),
                ("/team/new", #"{"models":["no-such-model"]}"#, .badRequest, "models"),
                ("/team/new", #"{"team_alias":"a\u0000b"}"#, .badRequest, "team_alias"),
                ("/team/new", #"{"members_with_roles":[{"role":"owner","user_id":"x"}]}"#, .badRequest, "role"),
                ("/team/new", #"{"members_with_roles":[{"role":"user"}]}"#, .badRequest, "members_with_roles"),
                ("/team/update", #"{"max_budget":5}"#, .badRequest, "team_id"),
                ("/team/update", #"{"team_id":"nope","max_budget":5}"#, .notFound, "team"),
                ("/team/member_add", #"{"team_id":"dup"}"#, .badRequest, "member"),
                ("/team/member_add", #"{"team_id":"nope","member":{"user_id":"x"}}"#, .notFound, "team"),
                ("/team/member_delete", #"{"team_id":"dup","user_id":"stranger"}"#, .notFound, "member"),
                ("/team/block", #"{}"#, .badRequest, "team_id"),
                ("/team/block", #"{"team_id":"nope"}"#, .notFound, "team"),
                ("/team/delete", #"{"team_ids":"dup"}"#, .badRequest, "team_ids"),
                ("/team/delete", #"{"team_ids":[]}"#, .badRequest, "team_ids"),
                ("/customer/new", #"{"alias":"x"}"#, .badRequest, "user_id"),
                ("/customer/new", #"{"user_id":"c1","rpm_limit":1.5}"#, .badRequest, "rpm_limit"),
                ("/customer/update", #"{"user_id":"nobody","rpm_limit":1}"#, .notFound, "end user"),
                ("/customer/delete", #"{"user_ids":["nobody"]}"#, .notFound, "end user"),
            ]
            for (path, body, status, mentions) in cases {
                let response = try await gateway.post(path, json: body)
                #expect(response.status == status, "\(path) \(body): \(response.status) \(response.text)")
                #expect(response.text.contains(mentions), "\(path) \(body): the error should name \(mentions): \(response.text)")
            }
            // The members one call may add are bounded.
            let many = (0...TeamStore.maxMembersPerCall).map { #"{"user_id":"u\#($0)"}"# }.joined(separator: ",")
            let tooMany = try await gateway.post("/team/new", json: #"{"members_with_roles":[\#(many)]}"#)
            #expect(tooMany.status == .badRequest && tooMany.text.contains("at most \(TeamStore.maxMembersPerCall) members"), "\(tooMany.text)")
            #expect(try await gateway.post("/customer/new", json: #"{"user_id":"c1"}"#).status == .ok)
            #expect(try await gateway.post("/customer/new", json: #"{"user_id":"c1"}"#).status == .conflict)
            #expect(try await gateway.get("/team/info").status == .badRequest)
            #expect(try await gateway.get("/team/info?team_id=nope").status == .notFound)
            #expect(try await gateway.get("/customer/info?end_user_id=nobody").status == .notFound)
            #expect(try await gateway.get("/usage?group_by=team,planet").status == .badRequest)
            let key = try await gateway.newSecret()
            #expect(try await gateway.post("/key/update", json: #"{"key":"\#(key)","team_id":"nope"}"#).status == .badRequest)
        }
    }
}
