import Foundation
import Postgres

/// The usage API's reads. Every value is bound; the SQL text is assembled only from fixed fragments
/// chosen by the parsed parameters (and the histogram's constant boundaries).
struct UsageStore: Sendable {
    let pool: PostgresPool

    /// A key's id from its hash, or nil when no key has it.
    func keyID(hash: String) async throws -> String? {
        try await pool.query("SELECT id::text AS id FROM api_keys WHERE key_hash = $1", [.text(hash)]).value(0, "id")
    }

    // MARK: The request log

    /// What `/spend/logs` filters on.
    struct LogFilter {
        var keyID: String?
        var userID: String?
        var teamID: String?
        var endUser: String?
        var model: String?
        var status: UsageParameters.StatusFilter?
        var requestID: String?
        /// Inclusive lower bound, microseconds since 1970.
        var from: Int64?
        /// Upper bound, inclusive or not.
        var until: (micros: Int64, inclusive: Bool)?
        var cursor: SpendLogCursor?
    }

    /// One page of the request log, newest first (`started_at DESC, request_id DESC`), at most `limit` rows,
    /// each with its key's hash and alias, and its payload when `payloads` is set; with the cursor of the
    /// next page when there are more rows (one row more than asked is read to tell).
    func logPage(_ filter: LogFilter, limit: Int, payloads: Bool) async throws -> SpendLogPage {
        var conditions: [String] = []
        var values: [PostgresValue] = []
        func bind(_ value: PostgresValue) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if let keyID = filter.keyID { conditions.append("key_id = \(bind(.text(keyID)))") }
        if let userID = filter.userID { conditions.append("user_id = \(bind(.text(userID)))") }
        if let teamID = filter.teamID { conditions.append("team_id = \(bind(.text(teamID)))") }
        if let endUser = filter.endUser { conditions.append("end_user = \(bind(.text(endUser)))") }
        if let model = filter.model {
            let placeholder = bind(.text(model))
            conditions.append("(requested_model = \(placeholder) OR served_model = \(placeholder))")
        }
        switch filter.status {
        case .ok: conditions.append("status = 'ok'")
        case .failed: conditions.append("status <> 'ok'")
        case .exactly(let status): conditions.append("status = \(bind(.text(status)))")
        case nil: break
        }
        if let requestID = filter.requestID { conditions.append("request_id = \(bind(.text(requestID)))") }
        if let from = filter.from { conditions.append("started_at >= \(bind(.text(UsageTime.postgres(micros: from))))::timestamptz") }
        if let until = filter.until {
            conditions.append("started_at \(until.inclusive ? "<=" : "<") \(bind(.text(UsageTime.postgres(micros: until.micros))))::timestamptz")
        }
        if let cursor = filter.cursor {
            let time = bind(.text(UsageTime.postgres(micros: cursor.startedAtMicros)))
            conditions.append("(started_at, request_id) < (\(time)::timestamptz, \(bind(.text(cursor.requestID))))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let payloadColumns =
            payloads
            ? ", p.mode AS payload_mode, p.request AS payload_request, p.response AS payload_response, p.truncated AS payload_truncated"
            : ""
        let payloadJoin = payloads ? "LEFT JOIN request_payloads p ON p.request_id = r.request_id" : ""
        let sql = """
            SELECT r.*, (extract(epoch FROM r.started_at) * 1000000)::bigint AS started_us, k.key_hash, k.alias AS key_alias\(payloadColumns)
            FROM (
                SELECT * FROM request_log \(whereClause)
                ORDER BY started_at DESC, request_id DESC LIMIT \(bind(PostgresValue(limit + 1)))
            ) r
            LEFT JOIN api_keys k ON k.id = (CASE WHEN r.key_id ~ '^[0-9a-fA-F-]{36}$' THEN r.key_id::uuid END)
            \(payloadJoin)
            ORDER BY r.started_at DESC, r.request_id DESC
            """
        let result = UsageColumns(try await pool.query(sql, values))
        let count = min(result.count, limit)
        var entries: [SpendLogEntry] = []
        entries.reserveCapacity(count)
        for index in 0..<count { entries.append(Self.entry(result.row(index), payloads: payloads)) }
        var nextCursor: String?
        if result.count > limit, let last = entries.last {
            nextCursor = SpendLogCursor(startedAtMicros: last.startedMicros, requestID: last.requestID ?? "").encoded
        }
        return SpendLogPage(entries: entries, nextCursor: nextCursor)
    }

    private static func entry(_ row: UsageColumns.Row, payloads: Bool) -> SpendLogEntry {
        var entry = SpendLogEntry(
            requestID: row.text("request_id"), keyID: row.text("key_id"), keyHash: row.text("key_hash"), keyAlias: row.text("key_alias"),
            userID: row.text("user_id"), teamID: row.text("team_id"), endUser: row.text("end_user"), dialect: row.text("dialect"),
            endpoint: row.text("endpoint") ?? "", requestedModel: row.text("requested_model"), servedModel: row.text("served_model"),
            backend: row.text("backend"), stream: row.bool("stream"), status: row.text("status"), httpStatus: row.int("http_status"),
            errorType: row.text("error_type"), promptTokens: row.int("prompt_tokens"), completionTokens: row.int("completion_tokens"),
            costMicros: row.int("cost_micros"), startedMicros: row.int("started_us"), durationMs: row.double("duration_ms") ?? 0,
            ttftMs: row.double("ttft_ms"), upstreamMs: row.double("upstream_ms"), ollamaTotalNs: row.optionalInt("ollama_total_ns"),
            ollamaLoadNs: row.optionalInt("ollama_load_ns"), ollamaPromptEvalNs: row.optionalInt("ollama_prompt_eval_ns"),
            ollamaEvalNs: row.optionalInt("ollama_eval_ns")
        )
        if payloads {
            entry.payload =
                row.text("payload_mode").map { mode in
                    .logged(
                        SpendLogPayload(
                            mode: mode, request: row.text("payload_request").map(SpendLogPayload.Body.init(stored:)),
                            response: row.text("payload_response").map(SpendLogPayload.Body.init(stored:)), truncated: row.bool("payload_truncated")
                        )
                    )
                } ?? .notLogged
        }
        return entry
    }

    // MARK: Daily aggregates

    /// What the aggregate reads filter on.
    struct DailyFilter {
        var days: ClosedRange<UsageDay>
        var keyID: String?
        var userID: String?
        var teamID: String?
        var endUser: String?
        /// Matches `usage_daily.model` (the served Ollama model) against any of these names.
        var models: [String] = []
    }

    /// `usage_daily` summed per `dimensions` (all of it when empty), ordered by the dimensions, with
    /// the summed latency histograms when `histograms` is set, and the key's hash and alias when grouped by key.
    /// Group values are as stored (`''` for "none").
    func aggregate(_ filter: DailyFilter, by dimensions: [UsageDimension], histograms: Bool) async throws -> [UsageAggregate] {
        var values: [PostgresValue] = [.text(filter.days.lowerBound.description), .text(filter.days.upperBound.description)]
        func bind(_ value: String) -> String {
            values.append(.text(value))
            return "$\(values.count)"
        }
        var conditions = ["day >= $1::date", "day <= $2::date"]
        if let keyID = filter.keyID { conditions.append("key_id = \(bind(keyID))") }
        if let userID = filter.userID { conditions.append("user_id = \(bind(userID))") }
        if let teamID = filter.teamID { conditions.append("team_id = \(bind(teamID))") }
        if let endUser = filter.endUser { conditions.append("end_user = \(bind(endUser))") }
        if !filter.models.isEmpty { conditions.append("(" + filter.models.map { "model = \(bind($0))" }.joined(separator: " OR ") + ")") }

        let columns: [UsageDimension: String] = [
            .day: "to_char(day, 'YYYY-MM-DD') AS day", .key: "key_id", .user: "user_id", .model: "model", .backend: "backend",
            .team: "team_id", .endUser: "end_user",
        ]
        let groupColumns = dimensions.map { columns[$0]! }
        let groupNames = dimensions.map { $0 == .key ? "key_id" : $0 == .user ? "user_id" : $0 == .team ? "team_id" : $0.rawValue }
        var sums = [
            "sum(requests)::bigint AS requests", "sum(ok)::bigint AS ok", "sum(failed)::bigint AS failed",
            "sum(prompt_tokens)::bigint AS prompt_tokens", "sum(completion_tokens)::bigint AS completion_tokens",
            "sum(cost_micros)::bigint AS cost_micros", "sum(duration_ms_sum) AS duration_ms_sum",
        ]
        if histograms {
            // One sum() per bucket: PostgreSQL's native aggregates, far faster than a SQL-function aggregate.
            for column in ["duration_hist", "ttft_hist"] {
                let buckets = (1...LatencyHistogram.bucketCount).map { "sum(\(column)[\($0)])" }.joined(separator: ",")
                sums.append("ARRAY[\(buckets)]::text AS \(column)")
            }
        }
        let grouped = """
            SELECT \((groupColumns + sums).joined(separator: ", "))
            FROM usage_daily
            WHERE \(conditions.joined(separator: " AND "))
            \(groupNames.isEmpty ? "" : "GROUP BY " + groupNames.joined(separator: ", "))
            """
        let sql =
            dimensions.contains(.key)
            ? """
            SELECT g.*, k.key_hash, k.alias AS key_alias
            FROM (\(grouped)) g
            LEFT JOIN api_keys k ON k.id = (CASE WHEN g.key_id ~ '^[0-9a-fA-F-]{36}$' THEN g.key_id::uuid END)
            ORDER BY \(groupNames.map { "g." + $0 }.joined(separator: ", "))
            """
            : grouped + (groupNames.isEmpty ? "" : " ORDER BY " + groupNames.joined(separator: ", "))
        let result = UsageColumns(try await pool.query(sql, values))
        return (0..<result.count).map { index in
            let row = result.row(index)
            let group = UsageGroup(
                day: row.text("day"), keyID: row.text("key_id"), keyHash: row.text("key_hash"), keyAlias: row.text("key_alias"),
                userID: row.text("user_id"), model: row.text("model"), backend: row.text("backend"), teamID: row.text("team_id"),
                endUser: row.text("end_user")
            )
            let sums = UsageTotals(
                requests: row.int("requests"), ok: row.int("ok"), failed: row.int("failed"), promptTokens: row.int("prompt_tokens"),
                completionTokens: row.int("completion_tokens"), costMicros: row.int("cost_micros"),
                durationMsSum: row.double("duration_ms_sum") ?? 0, durationHistogram: LatencyHistogram.parse(row.text("duration_hist")),
                ttftHistogram: LatencyHistogram.parse(row.text("ttft_hist"))
            )
            return UsageAggregate(group: group, sums: sums)
        }
    }
}

/// A query result read by column name, the names looked up once per result (the first column of a name wins).
struct UsageColumns {
    private let result: PostgresRows
    private let indices: [String: Int]

    init(_ result: PostgresRows) {
        self.result = result
        indices = Dictionary(result.columns.enumerated().map { ($0.element, $0.offset) }) { first, _ in first }
    }

    var count: Int { result.count }

    func row(_ index: Int) -> Row { Row(values: result.rows[index], indices: indices) }

    /// One row's values, read with the types the usage API answers in.
    struct Row {
        let values: [String?]
        let indices: [String: Int]

        func text(_ column: String) -> String? { indices[column].flatMap { values[$0] } }
        func int(_ column: String) -> Int64 { optionalInt(column) ?? 0 }
        func optionalInt(_ column: String) -> Int64? { text(column).flatMap { Int64($0) } }
        func double(_ column: String) -> Double? { text(column).flatMap { Double($0) } }
        func bool(_ column: String) -> Bool { text(column) == "t" || text(column) == "true" }
    }
}
