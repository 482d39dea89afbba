import Foundation
import Testing
@testable import Gateway
@testable import Postgres

@Suite("UsageSQL")
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

    /// The staged rows as fields (escapes left as they are on the wire).
    private func fields(_ rows: PostgresCopyRows) -> [[String]] {
        String(decoding: rows.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func eachRecordIsOneRowOfEveryStagedColumnInOrder() throws {
        let rows = UsageSQL.stagingRows([record("req-1"), record("req-2", outcome: .clientClosed)])
        #expect(rows.count == 2)
        let staged = fields(rows)
        let columns = UsageSQL.columns + UsageSQL.payloadColumns
        #expect(UsageSQL.columns.count == 27)
        #expect(staged.count == 2 && staged.allSatisfy { $0.count == columns.count })
        func value(_ row: Int, _ column: String) throws -> String {
            staged[row][try #require(columns.firstIndex(of: column))]
        }
        #expect(try value(0, "request_id") == "req-1")
        #expect(try value(1, "request_id") == "req-2")
        #expect(try value(0, "user_id") == #"\N"#)
        #expect(try value(0, "requested_model") == "gpt-4o-mini'; DROP TABLE request_log; --")
        #expect(try value(0, "stream") == "t")
        #expect(try value(0, "status") == "ok")
        #expect(try value(1, "status") == "client_closed")
        #expect(try value(0, "http_status") == "200")
        #expect(try value(0, "prompt_tokens") == "12")
        #expect(try value(0, "cost_micros") == "56")
        #expect(try value(0, "ttft_ms") == "12.5")
        #expect(try value(0, "upstream_ms") == #"\N"#)
        #expect(try value(0, "ollama_eval_ns") == "3")
        #expect(try value(0, "started_at") == "2023-11-14 22:13:20.250000+00")
        #expect(try value(0, "payload_mode") == #"\N"#)
    }

    @Test func theCopyNamesTheStagedColumnsInTheRowsOrder() {
        let list = (UsageSQL.columns + UsageSQL.payloadColumns).joined(separator: ", ")
        #expect(UsageSQL.copyIntoStaging == "COPY pg_temp.usage_staging (\(list)) FROM STDIN")
    }

    @Test func aPayloadTravelsInTheSameRowEscaped() throws {
        var withPayload = record("req-p")
        withPayload.payload = UsagePayload(mode: .full, request: "{\"a\":\"x\ty\\n\"}\n", response: nil, truncated: true)
        let staged = fields(UsageSQL.stagingRows([record("req-a"), withPayload]))
        let payload = Array(try #require(staged.last).suffix(UsageSQL.payloadColumns.count))
        #expect(payload == ["full", #"{"a":"x\ty\\n"}\n"#, #"\N"#, "t"])
        #expect(Array(staged[0].suffix(UsageSQL.payloadColumns.count)) == Array(repeating: #"\N"#, count: 4))
    }

    @Test func theInsertSkipsLoggedIDsAndKeepsWhatItInserted() {
        let sql = UsageSQL.insertStaged(payloads: true)
        #expect(sql.contains("INSERT INTO request_log (\(UsageSQL.columns.joined(separator: ", ")))"))
        #expect(sql.contains("FROM pg_temp.usage_staging"))
        #expect(sql.contains("ON CONFLICT (request_id) DO NOTHING"))
        #expect(sql.contains("INSERT INTO pg_temp.usage_inserted SELECT * FROM inserted"))
        #expect(sql.contains("JOIN inserted i ON i.request_id = s.request_id"), "payloads only for rows actually inserted")
        #expect(!UsageSQL.insertStaged(payloads: false).contains("request_payloads"))
        #expect(!sql.contains("$1"), "no parameters: the values come through COPY")
    }

    @Test func theFoldReadsOnlyTheInsertedRows() {
        let sql = UsageSQL.fold
        #expect(!sql.contains("usage_staging"), "the fold never reads the staged rows, only those inserted")
        #expect(sql.contains("FROM pg_temp.usage_inserted AS inserted"))
        #expect(sql.contains("ON CONFLICT (day, key_id, model, user_id, backend, team_id, end_user) DO UPDATE"))
        #expect(sql.contains("UPDATE teams t SET spend_micros = t.spend_micros + s.total"), "team spend comes from the inserted rows")
        #expect(sql.contains("UPDATE end_users e SET spend_micros = e.spend_micros + s.total"))
        #expect(sql.contains("usage_histogram(array_agg(duration_ms), \(LatencyHistogram.sqlBounds))"))
        #expect(sql.contains("usage_hist_add(d.ttft_hist, EXCLUDED.ttft_hist)"))
        #expect(UsageSQL.lockFold.hasPrefix("SELECT pg_advisory_xact_lock("), "transaction-scoped: released at commit or rollback")
    }

    @Test func theStagingTableEmptiesAtEachCommit() {
        #expect(UsageSQL.createStaging.contains("CREATE TEMP TABLE usage_staging (LIKE request_log"))
        #expect(UsageSQL.createStaging.hasSuffix("ON COMMIT DELETE ROWS"))
        #expect(UsageSQL.createInserted.hasSuffix("ON COMMIT DELETE ROWS"))
    }
}

@Suite("UsageRecorder.batchLengths")
struct UsageBatchLengthTests {
    @Test func batchesAreBoundedByCountAndByPayloadBytes() {
        let limit = UsageRecorder.batchPayloadBytes
        #expect(UsageRecorder.batchLengths(payloadBytes: Array(repeating: 0, count: 5000), batchSize: 2000, batches: 2) == [2000, 2000])
        #expect(UsageRecorder.batchLengths(payloadBytes: Array(repeating: 0, count: 2500), batchSize: 2000, batches: 4) == [2000, 500])
        #expect(UsageRecorder.batchLengths(payloadBytes: [Int](), batchSize: 2000, batches: 2) == [])
        // Payloads of a quarter of the bound: four to a batch.
        #expect(UsageRecorder.batchLengths(payloadBytes: Array(repeating: limit / 4, count: 10), batchSize: 2000, batches: 3) == [4, 4, 2])
        // A record larger than the bound goes alone; the small ones around it are not held back.
        #expect(UsageRecorder.batchLengths(payloadBytes: [10, limit * 2, 10, 10], batchSize: 2000, batches: 3) == [1, 1, 2])
    }
}
