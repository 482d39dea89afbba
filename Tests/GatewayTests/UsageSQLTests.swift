import Foundation
import Testing
@testable import Gateway
@testable import Postgres

@Suite("UsageSQL.insert")
struct UsageSQLTests {
    private func record(_ id: String, outcome: UsageRecord.Outcome = .ok) -> UsageRecord {
        UsageRecord(
            requestID: id, keyID: "master", userID: nil, dialect: "openai", endpoint: "/v1/chat/completions",
            requestedModel: "gpt-4o-mini'; DROP TABLE request_log; --", servedModel: "llama3.2:latest", backend: "ollama",
            stream: true, outcome: outcome, httpStatus: 200, errorType: nil, promptTokens: 12, completionTokens: 34,
            costMicros: 56, startedAt: Date(timeIntervalSince1970: 1_700_000_000.25), ttftMs: 12.5, durationMs: 99,
            upstreamMs: nil, ollamaTotalNs: 1_000, ollamaLoadNs: nil, ollamaPromptEvalNs: 2, ollamaEvalNs: 3
        )
    }

    /// Every `$n` placeholder in `sql`, in order.
    private func placeholders(_ sql: String) -> [Int] {
        let regex = try! NSRegularExpression(pattern: #"\$(\d+)"#)
        let range = NSRange(sql.startIndex..., in: sql)
        return regex.matches(in: sql, range: range).compactMap { match in
            Range(match.range(at: 1), in: sql).flatMap { Int(sql[$0]) }
        }
    }

    @Test func placeholdersMatchParametersForThreeRecords() {
        let ids = ["req-aaaa-1111", "req-bbbb-2222", "req-cccc-3333"]
        let (sql, parameters) = UsageSQL.insert(ids.map { record($0) })
        let columns = UsageSQL.columns.count
        #expect(columns == 27)
        #expect(parameters.count == 3 * columns)
        #expect(placeholders(sql) == Array(1...(3 * columns)), "each of $1…$N appears once, in order")
        for id in ids { #expect(!sql.contains(id), "values must be bound, not spliced") }
        #expect(!sql.contains("DROP TABLE"))
        #expect(!sql.contains("gpt-4o-mini"))
    }

    @Test func eachRowIsOneTupleOfAllColumns() {
        let (sql, _) = UsageSQL.insert([record("a"), record("b"), record("c")])
        let columns = UsageSQL.columns.count
        let tuples = ["$1", "$\(columns + 1)", "$\(2 * columns + 1)"].map { "(" + $0 + "," }
        for tuple in tuples { #expect(sql.contains(tuple)) }
        #expect(sql.contains("$\(columns)), ($\(columns + 1),"))
        #expect(sql.contains("INSERT INTO request_log (\(UsageSQL.columns.joined(separator: ", ")))"))
        #expect(sql.contains("ON CONFLICT (request_id) DO NOTHING"))
    }

    @Test func parametersFollowTheColumnOrder() throws {
        let (_, parameters) = UsageSQL.insert([record("req-1"), record("req-2", outcome: .clientClosed)])
        let columns = UsageSQL.columns
        func value(_ row: Int, _ column: String) throws -> PostgresValue {
            let index = try #require(columns.firstIndex(of: column))
            return parameters[row * columns.count + index]
        }
        #expect(try value(0, "request_id") == .text("req-1"))
        #expect(try value(1, "request_id") == .text("req-2"))
        #expect(try value(0, "user_id") == .null)
        #expect(try value(0, "requested_model") == .text("gpt-4o-mini'; DROP TABLE request_log; --"))
        #expect(try value(0, "stream") == .text("true"))
        #expect(try value(0, "status") == .text("ok"))
        #expect(try value(1, "status") == .text("client_closed"))
        #expect(try value(0, "http_status") == .text("200"))
        #expect(try value(0, "prompt_tokens") == .text("12"))
        #expect(try value(0, "cost_micros") == .text("56"))
        #expect(try value(0, "ttft_ms") == .text("12.5"))
        #expect(try value(0, "upstream_ms") == .null)
        #expect(try value(0, "ollama_eval_ns") == .text("3"))
        #expect(try value(0, "started_at") == .text("2023-11-14 22:13:20.250000+00"))
    }

    @Test func oneRecordUsesOneToTwentyThree() {
        let (sql, parameters) = UsageSQL.insert([record("only")])
        #expect(parameters.count == UsageSQL.columns.count)
        #expect(placeholders(sql) == Array(1...UsageSQL.columns.count))
    }
    @Test func payloadsAreBoundAfterTheLogColumnsOnlyForRecordsThatHaveOne() throws {
        var withPayload = record("req-p")
        withPayload.payload = UsagePayload(mode: .full, request: #"{"secret":"x'); DROP"}"#, response: nil, truncated: true)
        let (sql, parameters) = UsageSQL.insert([record("req-a"), withPayload, record("req-c")])
        let columns = UsageSQL.columns.count
        #expect(parameters.count == 3 * columns + UsageSQL.payloadColumns.count)
        #expect(placeholders(sql) == Array(1...(3 * columns + UsageSQL.payloadColumns.count)))
        #expect(Array(parameters[(3 * columns)...]) == [.text("req-p"), .text("full"), .text(#"{"secret":"x'); DROP"}"#), .null, .text("true")])
        #expect(sql.contains("INSERT INTO request_payloads"))
        #expect(sql.contains("JOIN inserted i ON i.request_id = p.request_id"), "payloads only for rows actually inserted")
        #expect(!sql.contains("DROP"))
        let (plain, _) = UsageSQL.insert([record("req-a")])
        #expect(!plain.contains("request_payloads"))
    }

    @Test func dailyRowsCarryUserBackendTeamEndUserAndHistograms() {
        let (sql, _) = UsageSQL.insert([record("req-1")])
        #expect(sql.contains("ON CONFLICT (day, key_id, model, user_id, backend, team_id, end_user) DO UPDATE"))
        #expect(sql.contains("UPDATE teams t SET spend_micros = t.spend_micros + s.total"), "team spend comes from the inserted rows")
        #expect(sql.contains("UPDATE end_users e SET spend_micros = e.spend_micros + s.total"))
        #expect(sql.contains("usage_histogram(array_agg(duration_ms), \(LatencyHistogram.sqlBounds))"))
        #expect(sql.contains("usage_hist_add(d.ttft_hist, EXCLUDED.ttft_hist)"))
    }
}
