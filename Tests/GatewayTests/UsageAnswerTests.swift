import Dialects
import Foundation
import Testing
@testable import Gateway

/// The usage API's typed answers as JSON and CSV: every field present (`null` when unset), members in
/// code-point order, numbers as Swift writes them, strings escaped.
@Suite("Usage answers")
struct UsageAnswerTests {
    static func entry() -> SpendLogEntry {
        SpendLogEntry(
            requestID: "req_1", keyID: "0f8fad5b-d9cb-469f-a165-70867728950e", keyHash: "abc", keyAlias: "a\"b\\c\n\u{1}é</script>",
            userID: "alice", teamID: nil, endUser: nil, dialect: "openai", endpoint: "/v1/chat/completions", requestedModel: "gpt-4o",
            servedModel: "llama3.2:1b", backend: "gpu1", stream: true, status: "ok", httpStatus: 200, errorType: nil, promptTokens: 12,
            completionTokens: 30, costMicros: 15, startedMicros: 1_714_564_800_123_456, durationMs: 1500, ttftMs: 250.5, upstreamMs: nil,
            ollamaTotalNs: 1_400_000_000, ollamaLoadNs: nil, ollamaPromptEvalNs: 5_000_000, ollamaEvalNs: 900_000_000
        )
    }

    @Test func logEntryWritesEveryFieldInNameOrder() {
        var json = JSONWriter()
        Self.entry().write(to: &json)
        let text = String(decoding: json.bytes, as: UTF8.self)
        let expected = #"""
            {"api_base":"gpu1","api_key":"abc","call_type":"acompletion","completionStartTime":"2024-05-01T12:00:00.373956Z",\#
            "completion_tokens":30,"cost_micros":15,"custom_llm_provider":"ollama","dialect":"openai","duration_ms":1500.0,\#
            "endTime":"2024-05-01T12:00:01.623456Z","end_user":null,"endpoint":"/v1/chat/completions","error_type":null,"http_status":200,\#
            "key_alias":"a\"b\\c\n\u0001é</script>","key_id":"0f8fad5b-d9cb-469f-a165-70867728950e","model":"llama3.2:1b","model_group":"gpt-4o",\#
            "ollama_eval_ns":900000000,"ollama_load_ns":null,"ollama_prompt_eval_ns":5000000,"ollama_total_ns":1400000000,\#
            "prompt_tokens":12,"request_duration_ms":1500.0,"request_id":"req_1","requested_model":"gpt-4o","served_model":"llama3.2:1b",\#
            "spend":1.5e-05,"startTime":"2024-05-01T12:00:00.123456Z","started_at":"2024-05-01T12:00:00.123456Z","status":"ok","stream":true,\#
            "team_id":null,"total_tokens":42,"ttft_ms":250.5,"upstream_ms":null,"user":"alice","user_id":"alice"}
            """#
        #expect(text == expected)
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["key_alias"] as? String == "a\"b\\c\n\u{1}é</script>")
        #expect(parsed?.keys.contains("payload") == false, "no payload member unless asked")
    }

    @Test func logEntryWithoutModelsOrUserFallsBack() {
        var entry = Self.entry()
        entry.servedModel = nil
        entry.userID = nil
        entry.ttftMs = nil
        entry.endpoint = "/api/embed"
        let text = entry.jsonText
        #expect(text.contains(#""model":"gpt-4o","#), "the requested model when none served")
        #expect(text.contains(#""user":"","#) && text.contains(#""user_id":null}"#))
        #expect(text.contains(#""completionStartTime":null,"#) && text.contains(#""ttft_ms":null,"#))
        #expect(text.contains(#""call_type":"aembedding","#))
    }

    @Test func payloadIsAbsentNullOrEmbedded() {
        var entry = Self.entry()
        entry.payload = .notLogged
        #expect(entry.jsonText.contains(#""ollama_total_ns":1400000000,"payload":null,"prompt_tokens":12"#))
        let body = SpendLogPayload.Body(stored: #"{"messages":[{"role":"user"}]}"#)
        let cut = SpendLogPayload.Body(stored: #"{"messages":[{"ro"#)
        #expect(body == .json(#"{"messages":[{"role":"user"}]}"#))
        #expect(cut == .text(#"{"messages":[{"ro"#))
        entry.payload = .logged(SpendLogPayload(mode: "full", request: body, response: cut, truncated: true))
        #expect(
            entry.jsonText.contains(
                #""payload":{"mode":"full","request":{"messages":[{"role":"user"}]},"response":"{\"messages\":[{\"ro","truncated":true},"#
            )
        )
        entry.payload = .logged(SpendLogPayload(mode: "metadata", request: nil, response: nil, truncated: false))
        #expect(entry.jsonText.contains(#""payload":{"mode":"metadata","request":null,"response":null,"truncated":false},"#))
    }

    @Test func logPageCarriesCursorOrNull() {
        #expect(SpendLogPage(entries: [], nextCursor: nil).jsonText == #"{"data":[],"has_more":false,"next_cursor":null}"#)
        let page = SpendLogPage(entries: [Self.entry(), Self.entry()], nextCursor: "djE6MTox")
        let text = page.jsonText
        #expect(text.hasPrefix(#"{"data":[{"api_base":"gpu1","#))
        #expect(text.contains(#""user_id":"alice"},{"api_base""#))
        #expect(text.hasSuffix(#""user_id":"alice"}],"has_more":true,"next_cursor":"djE6MTox"}"#))
    }

    static func report() -> UsageReport {
        let sums = UsageTotals(requests: 4, ok: 3, failed: 1, promptTokens: 10, completionTokens: 20, costMicros: 2_500_000, durationMsSum: 1001)
        let group = UsageGroup(day: "2024-05-01", keyID: "master", keyHash: nil, keyAlias: "=HYPERLINK(\"x\")", userID: "")
        return UsageReport(
            days: UsageDay("2024-05-01")!...UsageDay("2024-05-02")!, dimensions: [.day, .key],
            rows: [UsageReport.Row(group: group.reported, metrics: sums.metrics)], totals: sums
        )
    }

    @Test func reportWritesDimensionsAndMetricsInNameOrder() {
        let text = Self.report().jsonText
        let metrics = #"""
            "avg_latency_ms":250.25,"completion_tokens":20,"cost_micros":2500000,"failed":1,"latency_p50_ms":null,"latency_p95_ms":null,\#
            "latency_p99_ms":null,"ok":3,"prompt_tokens":10,"requests":4,"spend":2.5,"total_tokens":30,"ttft_p50_ms":null
            """#
        let row = #"""
            {"api_key":null,"avg_latency_ms":250.25,"completion_tokens":20,"cost_micros":2500000,"day":"2024-05-01","failed":1,\#
            "key_alias":"=HYPERLINK(\"x\")","key_id":"master","latency_p50_ms":null,"latency_p95_ms":null,"latency_p99_ms":null,"ok":3,\#
            "prompt_tokens":10,"requests":4,"spend":2.5,"total_tokens":30,"ttft_p50_ms":null}
            """#
        #expect(text == #"{"data":["# + row + #"],"end_date":"2024-05-02","group_by":["day","key"],"start_date":"2024-05-01","totals":{"# + metrics + "}}")
    }

    @Test func reportCSVQuotesDefusesFormulasAndLeavesNullsEmpty() {
        let csv = UsageCSV.render(header: Self.report().columnNames, rows: Self.report().rows.map(Self.report().cells))
        let lines = csv.components(separatedBy: "\r\n")
        #expect(
            lines[0]
                == "day,key_id,api_key,key_alias,requests,ok,failed,prompt_tokens,completion_tokens,total_tokens,spend,cost_micros,avg_latency_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,ttft_p50_ms"
        )
        #expect(lines[1] == "2024-05-01,master,,\"'=HYPERLINK(\"\"x\"\")\",4,3,1,10,20,30,2.5,2500000,250.25,,,,")
        #expect(lines.count == 3 && lines[2].isEmpty, "CRLF after the last row")
        #expect(UsageCSV.field(.number(2.0)) == "2" && UsageCSV.field(.number(0.5)) == "0.5" && UsageCSV.field(.text("say \"hi\"")) == "\"say \"\"hi\"\"\"")
    }

    @Test func groupReportsEmptyValuesAsNone() {
        let group = UsageGroup(userID: "", model: "m", backend: "", teamID: "t", endUser: "")
        #expect(group.reported == UsageGroup(userID: nil, model: "m", backend: nil, teamID: "t", endUser: nil))
    }

    @Test func dailyActivityBreaksDaysDownByModelKeyAndEntity() throws {
        let sums = UsageTotals(requests: 2, ok: 1, failed: 1, promptTokens: 5, completionTokens: 7, costMicros: 500_000)
        let aggregates = [
            UsageAggregate(group: UsageGroup(day: "2024-05-01", keyID: "k1", keyHash: "h1", keyAlias: "one", userID: "u", model: "m", teamID: "", endUser: ""), sums: sums),
            UsageAggregate(group: UsageGroup(day: "2024-05-02", keyID: "master", userID: "", model: "m", teamID: "t", endUser: ""), sums: sums),
            UsageAggregate(group: UsageGroup(day: "2024-05-02", keyID: "master", userID: "", model: "n", teamID: "t", endUser: ""), sums: sums),
        ]
        let activity = DailyActivity(aggregates, entity: .user, page: 1, pageSize: 1)
        let text = activity.jsonText
        let spend = #"{"api_requests":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"completion_tokens":7,"failed_requests":1,"prompt_tokens":5,"spend":0.5,"successful_requests":1,"total_tokens":12}"#
        let doubled = #"{"api_requests":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"completion_tokens":14,"failed_requests":2,"prompt_tokens":10,"spend":1.0,"successful_requests":2,"total_tokens":24}"#
        let keyEntry = #"{"metadata":{"key_alias":null,"team_id":"t"},"metrics":"# + spend + "}"
        let day =
            #"{"breakdown":{"api_keys":{"master":{"metadata":{"key_alias":null,"team_id":"t"},"metrics":"# + doubled + "}},"
            + #""endpoints":{},"entities":{"":{"api_key_breakdown":{},"metadata":{},"metrics":"# + doubled + "}},"
            + #""mcp_servers":{},"model_groups":{},"models":{"m":{"api_key_breakdown":{"master":"# + keyEntry + #"},"metadata":{},"metrics":"# + spend + "},"
            + #""n":{"api_key_breakdown":{"master":"# + keyEntry + #"},"metadata":{},"metrics":"# + spend + "}},"
            + #""providers":{"ollama":{"api_key_breakdown":{},"metadata":{},"metrics":"# + doubled + "}}},"
            + #""date":"2024-05-02","metrics":"# + doubled + "}"
        let metadata =
            #"{"has_more":true,"page":1,"total_api_requests":6,"total_cache_creation_input_tokens":0,"total_cache_read_input_tokens":0,"#
            + #""total_completion_tokens":21,"total_failed_requests":3,"total_pages":2,"total_prompt_tokens":15,"total_spend":1.5,"#
            + #""total_successful_requests":3,"total_tokens":36}"#
        #expect(text == #"{"metadata":"# + metadata + #","results":["# + day + "]}")

        let second = DailyActivity(aggregates, entity: .key, page: 2, pageSize: 1).jsonText
        #expect(second.contains(#""api_keys":{"h1":{"metadata":{"key_alias":"one","team_id":null}"#), "a key by its hash, with its alias")
        #expect(second.contains(#""entities":{"h1":"#) && second.contains(#""has_more":false,"page":2,"#))
    }
}
