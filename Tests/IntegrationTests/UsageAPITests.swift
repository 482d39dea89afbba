import FakeOllama
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing
@testable import Gateway

/// The usage API against a real PostgreSQL: its numbers must equal what a known load sent.
@Suite("Usage API")
struct UsageAPITests {
    /// What one request of the load sends and should cost, from the fake's rules: prompt tokens are the
    /// message's words + 4, completion tokens the reply's chunks (5 by default, plus 2 thinking chunks
    /// for a thinking model such as qwen3).
    struct Sent {
        var key: String
        var model: String
        var words: Int
        var stream: Bool
        var promptTokens: Int { words + 4 }
        var completionTokens: Int { model == "qwen3" ? 7 : 5 }
        /// gpt-4o-mini is priced 1.5 / 6 dollars per million in the harness; qwen3 is free.
        var costMicros: Int64 {
            model == "gpt-4o-mini" ? Int64((Double(promptTokens) * 1.5 + Double(completionTokens) * 6).rounded()) : 0
        }
        var servedModel: String { model == "gpt-4o-mini" ? "llama3.2:latest" : "qwen3:latest" }
    }

    static func body(_ sent: Sent) -> String {
        let words = (0..<sent.words).map { "w\($0)" }.joined(separator: " ")
        return #"{"model":"\#(sent.model)","stream":\#(sent.stream),"messages":[{"role":"user","content":"\#(words)"}]}"#
    }

    /// `GET path` as JSON, expecting 200.
    static func json(_ gateway: GatewayHarness, _ path: String) async throws -> [String: Any] {
        let response = try await gateway.get(path)
        #expect(response.status == .ok, "\(path): \(response.text)")
        #expect(response.requestID != nil)
        return try #require(response.json, "\(path): \(response.text)")
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test("usage totals, groupings, filters, cursor pages, CSV and daily activity match the load")
    func numbersMatchTheLoad() async throws {
        try await GatewayHarness.run { gateway in
            let alice = try await gateway.generateKey(#"{"user_id":"alice","key_alias":"alice-key"}"#)
            let bob = try await gateway.generateKey(#"{"user_id":"bob"}"#)
            let secretA = try #require(alice["key"] as? String)
            let secretB = try #require(bob["key"] as? String)
            let hashA = try #require(alice["token"] as? String)
            let hashB = try #require(bob["token"] as? String)

            var load: [Sent] = []
            for index in 0..<7 { load.append(Sent(key: secretA, model: index < 4 ? "gpt-4o-mini" : "qwen3", words: index + 1, stream: index % 2 == 0)) }
            for index in 0..<5 { load.append(Sent(key: secretB, model: index < 2 ? "gpt-4o-mini" : "qwen3", words: 10 + index, stream: index == 0)) }
            var requestIDs: [String] = []
            for sent in load {
                let response = try await gateway.post("/v1/chat/completions", json: Self.body(sent), key: sent.key)
                #expect(response.status == .ok, "\(response.text)")
                requestIDs.append(try #require(response.requestID))
            }
            // One refused request (unknown model): logged as failed, with no tokens.
            let refused = try await gateway.post("/v1/chat/completions", json: #"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#, key: secretB)
            #expect(refused.status == .notFound)
            requestIDs.append(try #require(refused.requestID))
            let total = load.count + 1
            #expect(try await gateway.requestLog(count: total).count == total)

            let prompt = load.reduce(0) { $0 + $1.promptTokens }
            let completion = load.reduce(0) { $0 + $1.completionTokens }
            let cost = load.reduce(Int64(0)) { $0 + $1.costMicros }

            // --- /usage totals
            let usage = try await Self.json(gateway, "/usage")
            let totals = try #require(usage["totals"] as? [String: Any])
            #expect(Self.int(totals["requests"]) == Int64(total))
            #expect(Self.int(totals["ok"]) == Int64(load.count))
            #expect(Self.int(totals["failed"]) == 1)
            #expect(Self.int(totals["prompt_tokens"]) == Int64(prompt))
            #expect(Self.int(totals["completion_tokens"]) == Int64(completion))
            #expect(Self.int(totals["total_tokens"]) == Int64(prompt + completion))
            #expect(Self.int(totals["cost_micros"]) == cost)
            #expect(abs((totals["spend"] as? Double ?? -1) - Double(cost) / 1e6) < 1e-12)
            let p50 = try #require(totals["latency_p50_ms"] as? Double)
            let p95 = try #require(totals["latency_p95_ms"] as? Double)
            let p99 = try #require(totals["latency_p99_ms"] as? Double)
            #expect(p50 > 0 && p50 <= p95 && p95 <= p99)
            #expect(totals["ttft_p50_ms"] as? Double != nil)
            #expect((usage["data"] as? [Any])?.count == 1, "no group_by: one total row")

            // --- group_by=key
            let byKey = try #require(try await Self.json(gateway, "/usage?group_by=key")["data"] as? [[String: Any]])
            #expect(byKey.count == 2)
            for (hash, secret, alias) in [(hashA, secretA, "alice-key" as String?), (hashB, secretB, nil)] {
                let row = try #require(byKey.first { $0["api_key"] as? String == hash })
                let sent = load.filter { $0.key == secret }
                let extra = secret == secretB ? 1 : 0
                #expect(Self.int(row["requests"]) == Int64(sent.count + extra))
                #expect(Self.int(row["prompt_tokens"]) == Int64(sent.reduce(0) { $0 + $1.promptTokens }))
                #expect(Self.int(row["cost_micros"]) == sent.reduce(Int64(0)) { $0 + $1.costMicros })
                #expect(row["key_alias"] as? String == alias)
                #expect((row["key_id"] as? String)?.count == 36)
            }

            // --- group_by=model (served models, plus the refused request's requested name)
            let byModel = try #require(try await Self.json(gateway, "/usage?group_by=model")["data"] as? [[String: Any]])
            #expect(Set(byModel.compactMap { $0["model"] as? String }) == ["llama3.2:latest", "qwen3:latest", "nope"])
            for served in ["llama3.2:latest", "qwen3:latest"] {
                let row = try #require(byModel.first { $0["model"] as? String == served })
                #expect(Self.int(row["requests"]) == Int64(load.filter { $0.servedModel == served }.count))
                #expect(Self.int(row["completion_tokens"]) == Int64(load.filter { $0.servedModel == served }.reduce(0) { $0 + $1.completionTokens }))
            }

            // --- group_by=user and the full grouping sum to the totals
            let byUser = try #require(try await Self.json(gateway, "/usage?group_by=user")["data"] as? [[String: Any]])
            #expect(Dictionary(uniqueKeysWithValues: byUser.map { ($0["user_id"] as? String ?? "", Self.int($0["requests"]) ?? 0) }) == ["alice": 7, "bob": 6])
            let all = try #require(try await Self.json(gateway, "/usage?group_by=day,key,user,model")["data"] as? [[String: Any]])
            #expect(all.reduce(Int64(0)) { $0 + (Self.int($1["requests"]) ?? 0) } == Int64(total))
            #expect(all.reduce(Int64(0)) { $0 + (Self.int($1["cost_micros"]) ?? 0) } == cost)
            #expect(Set(all.compactMap { $0["day"] as? String }).count == 1)

            // --- filters on /usage: a key by secret, a user, a model alias (matched through its served model)
            let onlyA = try #require(try await Self.json(gateway, "/usage?api_key=\(secretA)")["totals"] as? [String: Any])
            #expect(Self.int(onlyA["requests"]) == 7)
            let onlyBob = try #require(try await Self.json(gateway, "/usage?user_id=bob")["totals"] as? [String: Any])
            #expect(Self.int(onlyBob["requests"]) == 6)
            let onlyMini = try #require(try await Self.json(gateway, "/usage?model=gpt-4o-mini")["totals"] as? [String: Any])
            #expect(Self.int(onlyMini["requests"]) == 6)
            let yesterday = UsageDay(daysSinceEpoch: UsageDay(containing: Date()).daysSinceEpoch - 1).description
            let none = try #require(try await Self.json(gateway, "/usage?start_date=\(yesterday)&end_date=\(yesterday)")["totals"] as? [String: Any])
            #expect(Self.int(none["requests"]) == 0)

            // --- CSV
            let csvResponse = try await gateway.get("/usage?group_by=key,model&format=csv")
            #expect(csvResponse.status == .ok)
            #expect(csvResponse.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csvResponse.text.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = try #require(lines.first)
            #expect(header.prefix(4) == ["key_id", "api_key", "key_alias", "model"])
            #expect(header.contains("latency_p95_ms") && header.contains("ttft_p50_ms"))
            let requestsColumn = try #require(header.firstIndex(of: "requests"))
            #expect(lines.count - 1 == 5, "key A × 2 models, key B × 2 models + nope")
            #expect(lines.dropFirst().reduce(0) { $0 + (Int($1[requestsColumn]) ?? 0) } == total)

            // --- /spend/logs: everything, newest first, with LiteLLM's names
            let logs = try await Self.json(gateway, "/spend/logs")
            let rows = try #require(logs["data"] as? [[String: Any]])
            #expect(rows.count == total)
            #expect(logs["has_more"] as? Bool == false)
            #expect(logs["next_cursor"] is NSNull)
            #expect(Set(rows.compactMap { $0["request_id"] as? String }) == Set(requestIDs), "x-tollgate-request-id is the log's id")
            let times = rows.compactMap { $0["startTime"] as? String }
            #expect(times == times.sorted(by: >))
            let first = try #require(rows.last)
            #expect(first["api_key"] as? String == hashA)
            #expect(first["key_alias"] as? String == "alice-key")
            #expect(first["user"] as? String == "alice")
            #expect(Self.int(first["total_tokens"]) == Int64(load[0].promptTokens + load[0].completionTokens))
            #expect(first["model"] as? String == "llama3.2:latest")
            #expect(first["model_group"] as? String == "gpt-4o-mini")
            #expect(first["status"] as? String == "ok")
            #expect(first["payload"] == nil)

            // Filters.
            func count(_ query: String) async throws -> Int {
                try #require(try await Self.json(gateway, "/spend/logs?\(query)")["data"] as? [Any]).count
            }
            let keyIDA = try #require(byKey.first { $0["api_key"] as? String == hashA }?["key_id"] as? String)
            #expect(try await count("api_key=\(secretA)") == 7)
            #expect(try await count("api_key=\(hashB)") == 6)
            #expect(try await count("api_key=\(keyIDA)") == 7)
            #expect(try await count("api_key=\(String(repeating: "0", count: 64))") == 0)
            #expect(try await count("user_id=bob") == 6)
            #expect(try await count("model=qwen3") == 6)
            #expect(try await count("model=qwen3:latest") == 6)
            #expect(try await count("model=gpt-4o-mini&user_id=alice") == 4)
            #expect(try await count("status=ok") == load.count)
            #expect(try await count("status=success") == load.count)
            #expect(try await count("status=failure") == 1)
            #expect(try await count("status=client_error") == 1)
            #expect(try await count("request_id=\(requestIDs[3])") == 1)
            let today = UsageDay(containing: Date()).description
            let tomorrow = UsageDay(daysSinceEpoch: UsageDay(containing: Date()).daysSinceEpoch + 1).description
            #expect(try await count("start_date=\(today)&end_date=\(today)") == total)
            #expect(try await count("start_date=\(tomorrow)") == 0)
            #expect(try await count("end_date=\(yesterday)") == 0)
            let middle = try #require(rows[6]["startTime"] as? String)
            #expect(try await count("end_date=\(middle)") == total - 6, "an instant end bound is inclusive")
            #expect(try await count("start_date=\(middle)") == 7, "an instant start bound is inclusive")

            // Cursor pages cover every row exactly once.
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await Self.json(gateway, "/spend/logs?limit=5" + (cursor.map { "&cursor=\($0)" } ?? ""))
                let data = try #require(page["data"] as? [[String: Any]])
                seen += data.compactMap { $0["request_id"] as? String }
                cursor = page["next_cursor"] as? String
                #expect((page["has_more"] as? Bool) == (cursor != nil))
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.count == total)
            #expect(Set(seen) == Set(requestIDs))
            #expect(seen == rows.compactMap { $0["request_id"] as? String }, "pages follow the same order")
            // A filtered walk.
            var filtered: [String] = []
            cursor = nil
            repeat {
                let page = try await Self.json(gateway, "/spend/logs?limit=2&user_id=bob" + (cursor.map { "&cursor=\($0)" } ?? ""))
                filtered += try #require(page["data"] as? [[String: Any]]).compactMap { $0["request_id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil && filtered.count < 20
            #expect(filtered.count == 6 && Set(filtered).count == 6)

            // --- daily activity, in LiteLLM's shape
            let keyActivity = try await Self.json(gateway, "/key/daily/activity?start_date=\(today)&end_date=\(today)")
            let results = try #require(keyActivity["results"] as? [[String: Any]])
            #expect(results.count == 1)
            let day = try #require(results.first)
            #expect(day["date"] as? String == today)
            let metrics = try #require(day["metrics"] as? [String: Any])
            #expect(Self.int(metrics["api_requests"]) == Int64(total))
            #expect(Self.int(metrics["successful_requests"]) == Int64(load.count))
            #expect(Self.int(metrics["failed_requests"]) == 1)
            #expect(Self.int(metrics["prompt_tokens"]) == Int64(prompt))
            #expect(Self.int(metrics["total_tokens"]) == Int64(prompt + completion))
            let breakdown = try #require(day["breakdown"] as? [String: Any])
            let apiKeys = try #require(breakdown["api_keys"] as? [String: [String: Any]])
            #expect(Set(apiKeys.keys) == [hashA, hashB])
            #expect((apiKeys[hashA]?["metadata"] as? [String: Any])?["key_alias"] as? String == "alice-key")
            #expect(Self.int((apiKeys[hashA]?["metrics"] as? [String: Any])?["api_requests"]) == 7)
            let models = try #require(breakdown["models"] as? [String: [String: Any]])
            #expect(Set(models.keys) == ["llama3.2:latest", "qwen3:latest", "nope"])
            #expect(Self.int((models["qwen3:latest"]?["metrics"] as? [String: Any])?["api_requests"]) == 6)
            let modelKeys = try #require(models["llama3.2:latest"]?["api_key_breakdown"] as? [String: Any])
            #expect(Set(modelKeys.keys) == [hashA, hashB])
            #expect(Self.int(((breakdown["providers"] as? [String: Any])?["ollama"] as? [String: Any]).flatMap { ($0["metrics"] as? [String: Any])?["api_requests"] }) == Int64(total))
            let metadata = try #require(keyActivity["metadata"] as? [String: Any])
            #expect(Self.int(metadata["total_api_requests"]) == Int64(total))
            #expect(Self.int(metadata["total_successful_requests"]) == Int64(load.count))
            #expect(Self.int(metadata["total_prompt_tokens"]) == Int64(prompt))
            #expect(abs((metadata["total_spend"] as? Double ?? -1) - Double(cost) / 1e6) < 1e-12)
            #expect(metadata["has_more"] as? Bool == false)
            #expect(Self.int(metadata["page"]) == 1)

            let userActivity = try await Self.json(gateway, "/user/daily/activity?user_id=alice")
            let userDay = try #require((userActivity["results"] as? [[String: Any]])?.first)
            #expect(Self.int((userDay["metrics"] as? [String: Any])?["api_requests"]) == 7)
            let entities = try #require((userDay["breakdown"] as? [String: Any])?["entities"] as? [String: Any])
            #expect(Set(entities.keys) == ["alice"])
        }
    }

    @Test("bad parameters are 400s naming the parameter; non-admin keys are refused; every answer has a request id")
    func badParameters() async throws {
        try await GatewayHarness.run { gateway in
            let cases: [(String, String)] = [
                ("/usage?group_by=day,planet", "group_by"),
                ("/usage?format=xml", "format"),
                ("/usage?start_date=2024-13-01", "start_date"),
                ("/usage?start_date=2024-05-02&end_date=2024-05-01", "start_date"),
                ("/usage?api_key=not-a-key", "api_key"),
                ("/spend/logs?limit=0", "limit"),
                ("/spend/logs?limit=1001", "limit"),
                ("/spend/logs?cursor=bogus", "cursor"),
                ("/spend/logs?status=great", "status"),
                ("/spend/logs?end_date=yesterday", "end_date"),
                ("/spend/logs?include_payload=maybe", "include_payload"),
                ("/key/daily/activity?page=0", "page"),
                ("/user/daily/activity?page_size=5000", "page_size"),
            ]
            for (path, param) in cases {
                let response = try await gateway.get(path)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.openAIError?["param"] as? String == param, "\(path): \(response.text)")
                #expect(response.openAIError?["type"] as? String == "invalid_request_error")
                #expect(response.requestID != nil)
            }
            let secret = try await gateway.newSecret()
            for path in ["/usage", "/spend/logs", "/key/daily/activity", "/user/daily/activity"] {
                let refused = try await gateway.get(path, key: secret)
                #expect(refused.status == .forbidden, "\(path)")
                #expect(refused.requestID != nil)
                let anonymous = try await gateway.get(path, key: "")
                #expect(anonymous.status == .unauthorized, "\(path)")
                #expect(anonymous.requestID != nil)
            }
            let unknown = try await gateway.get("/usage/nothing-here")
            #expect(unknown.status == .notFound)
            #expect(unknown.requestID != nil)
            let ok = try await gateway.get("/usage?format=csv")
            #expect(ok.status == .ok)
            #expect(ok.requestID != nil)
        }
    }

    @Test("payload logging modes store what they promise, redacted", arguments: [GatewayConfig.Usage.PayloadLogging.off, .metadata, .full])
    func payloadLogging(mode: GatewayConfig.Usage.PayloadLogging) async throws {
        try await GatewayHarness.run(configure: {
            $0.usage.payloadLogging = mode
            $0.usage.redactFields = ["customer_email"]
        }) { gateway in
            let secret = try await gateway.newSecret()
            let body = #"""
                {"model":"gpt-4o-mini","temperature":0.5,"metadata":{"customer_email":"a@example.com","api_key":"k"},
                 "messages":[{"role":"system","content":"be brief"},{"role":"user","content":"my key is \#(secret) thanks"}]}
                """#
            let response = try await gateway.post("/v1/chat/completions", json: body, key: secret)
            #expect(response.status == .ok)
            let streamed = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"qwen3","stream":true,"messages":[{"role":"user","content":"hello there"}]}"#, key: secret
            )
            #expect(streamed.status == .ok)
            _ = try await gateway.requestLog(count: 2)
            let stored = try await gateway.database.query("SELECT count(*) AS n FROM request_payloads")
            #expect(stored.value(0, "n") == (mode == .off ? "0" : "2"))
            let everything = try await gateway.database.query("SELECT coalesce(string_agg(request || response, ' '), '') AS t FROM request_payloads")
            #expect(everything.value(0, "t")?.contains(secret) == false, "the key never reaches the table")
            #expect(everything.value(0, "t")?.contains("a@example.com") == false)

            let logs = try await Self.json(gateway, "/spend/logs?include_payload=true")
            let rows = try #require(logs["data"] as? [[String: Any]])
            let chat = try #require(rows.first { $0["request_id"] as? String == response.requestID })
            let stream = try #require(rows.first { $0["request_id"] as? String == streamed.requestID })
            switch mode {
            case .off:
                #expect(chat["payload"] is NSNull)
            case .metadata:
                let payload = try #require(chat["payload"] as? [String: Any])
                #expect(payload["mode"] as? String == "metadata")
                let request = try #require(payload["request"] as? [String: Any])
                #expect(request["model"] as? String == "gpt-4o-mini")
                #expect(request["temperature"] as? Double == 0.5)
                #expect((request["messages"] as? [String: Any])?["roles"] as? [String] == ["system", "user"])
                #expect(((request["metadata"] as? [String: Any])?["customer_email"]) as? String == PayloadRedactor.marker)
                #expect(!(String(describing: request).contains("be brief")))
                let answer = try #require(payload["response"] as? [String: Any])
                #expect(answer["finish_reason"] as? String == "stop")
                #expect(Self.int(answer["content_chars"]) == 25, "five 'word ' chunks")
                #expect(answer["content"] == nil)
                let streamAnswer = try #require((stream["payload"] as? [String: Any])?["response"] as? [String: Any])
                #expect(Self.int(streamAnswer["content_chars"]) == 25)
            case .full:
                let payload = try #require(chat["payload"] as? [String: Any])
                #expect(payload["mode"] as? String == "full")
                #expect(payload["truncated"] as? Bool == false)
                let request = try #require(payload["request"] as? [String: Any])
                let messages = try #require(request["messages"] as? [[String: Any]])
                #expect(messages[0]["content"] as? String == "be brief")
                #expect(messages[1]["content"] as? String == "my key is [REDACTED] thanks")
                #expect((request["metadata"] as? [String: Any])?["api_key"] as? String == PayloadRedactor.marker)
                let answer = try #require(payload["response"] as? [String: Any])
                #expect(answer["content"] as? String == "word word word word word ")
                let streamAnswer = try #require((stream["payload"] as? [String: Any])?["response"] as? [String: Any])
                #expect(streamAnswer["content"] as? String == "word word word word word ")
                #expect(((stream["payload"] as? [String: Any])?["request"] as? [String: Any])?["stream"] as? Bool == true)
            }
        }
    }

    @Test("full payloads are cut at payload_max_bytes and marked")
    func payloadCap() async throws {
        try await GatewayHarness.run(configure: {
            $0.usage.payloadLogging = .full
            $0.usage.payloadMaxBytes = 1024
        }) { gateway in
            let text = String(repeating: "long ", count: 1000)
            let response = try await gateway.post("/v1/chat/completions", json: #"{"model":"qwen3","messages":[{"role":"user","content":"\#(text)"}]}"#)
            #expect(response.status == .ok)
            _ = try await gateway.logRow(response.requestID)
            let row = try await gateway.database.query("SELECT request, truncated FROM request_payloads")
            #expect(row.value(0, "truncated") == "t")
            let stored = try #require(row.value(0, "request"))
            #expect(stored.utf8.count < 1100)
            #expect(stored.hasSuffix("bytes in all]"))
        }
    }

    /// A record `days` days old, written the way the usage recorder writes.
    static func oldRecord(_ id: String, daysAgo days: Double, payload: Bool) -> UsageRecord {
        var record = UsageRecord(
            requestID: id, keyID: "master", userID: "carol", dialect: "openai", endpoint: "/v1/chat/completions",
            requestedModel: "qwen3", servedModel: "qwen3:latest", backend: "ollama", stream: false, outcome: .ok, httpStatus: 200,
            errorType: nil, promptTokens: 10, completionTokens: 20, costMicros: 0, startedAt: Date().addingTimeInterval(-days * 86400),
            ttftMs: 5, durationMs: 50
        )
        if payload { record.payload = UsagePayload(mode: .metadata, request: "{}", response: "{}", truncated: false) }
        return record
    }

    @Test("retention deletes old log rows and payloads, keeps recent ones and every aggregate")
    func retention() async throws {
        try await GatewayHarness.run(configure: {
            $0.usage.retentionDays = 30
            $0.usage.retentionIntervalSeconds = 1
        }) { gateway in
            let old = (0..<7).map { Self.oldRecord("req_old_\($0)", daysAgo: 40, payload: $0 % 2 == 0) }
            let recent = (0..<3).map { Self.oldRecord("req_recent_\($0)", daysAgo: 10, payload: true) }
            try await UsageSQL.write(old + recent, to: gateway.database)
            let oldDay = UsageDay(containing: old[0].startedAt).description

            let deadline = ContinuousClock.now + .seconds(15)
            while try await gateway.database.query("SELECT 1 FROM request_log WHERE request_id LIKE 'req_old_%'").count > 0 {
                if ContinuousClock.now > deadline { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await gateway.database.query("SELECT 1 FROM request_log WHERE request_id LIKE 'req_old_%'").count == 0)
            #expect(try await gateway.database.query("SELECT 1 FROM request_payloads WHERE request_id LIKE 'req_old_%'").count == 0)
            #expect(try await gateway.database.query("SELECT 1 FROM request_log WHERE request_id LIKE 'req_recent_%'").count == 3)
            #expect(try await gateway.database.query("SELECT 1 FROM request_payloads WHERE request_id LIKE 'req_recent_%'").count == 3)

            // The aggregates of the deleted rows remain, percentiles included.
            let usage = try await Self.json(gateway, "/usage?start_date=\(oldDay)&end_date=\(oldDay)&group_by=day,user")
            let row = try #require((usage["data"] as? [[String: Any]])?.first)
            #expect(Self.int(row["requests"]) == 7)
            #expect(Self.int(row["completion_tokens"]) == 140)
            #expect(row["user_id"] as? String == "carol")
            let p50 = try #require(row["latency_p50_ms"] as? Double)
            #expect(p50 / 50 < LatencyHistogram.maxErrorFactor && 50 / p50 < LatencyHistogram.maxErrorFactor)
            let ttft = try #require(row["ttft_p50_ms"] as? Double)
            #expect(ttft / 5 < LatencyHistogram.maxErrorFactor && 5 / ttft < LatencyHistogram.maxErrorFactor)
        }
    }

    @Test("a purge works in batches and replaying a batch counts nothing twice")
    func purgeInBatches() async throws {
        try await GatewayHarness.run { gateway in
            let old = (0..<11).map { Self.oldRecord("req_b_\($0)", daysAgo: 5, payload: true) }
            try await UsageSQL.write(old, to: gateway.database)
            try await UsageSQL.write(old, to: gateway.database)  // a replay: nothing new
            let daily = try await gateway.database.query("SELECT requests, duration_hist::text AS h FROM usage_daily WHERE user_id = 'carol'")
            #expect(daily.value(0, "requests") == "11")
            #expect(LatencyHistogram.parse(daily.value(0, "h")).reduce(0, +) == 11)
            #expect(LatencyHistogram.parse(daily.value(0, "h")).count == LatencyHistogram.bucketCount)
            let deleted = try await UsageRetention.purge(
                pool: gateway.database, olderThan: Date().addingTimeInterval(-86400), batchSize: 3, pause: .milliseconds(1)
            )
            #expect(deleted == 11)
            #expect(try await gateway.database.query("SELECT 1 FROM request_payloads").count == 0)
            #expect(try await gateway.database.query("SELECT requests FROM usage_daily WHERE user_id = 'carol'").value(0, "requests") == "11")
        }
    }
}
