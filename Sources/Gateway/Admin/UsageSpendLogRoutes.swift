import Dialects
import Foundation
import Hummingbird
import Postgres

/// `GET /spend/logs`: the request log, newest first, one page at a time. Master key only.
///
/// Parameters (all optional): `api_key` (secret, hash or key id), `user_id`, `team_id`, `end_user`, `model` (requested or served),
/// `status` (`ok`, `client_error`, `upstream_error`, `timeout`, `client_closed`, or LiteLLM's `success` /
/// `failure`), `request_id`, `start_date` / `end_date` (see ``UsageParameters``), `limit` (1–1000, default
/// 100), `cursor` (a previous page's `next_cursor`), `include_payload` (`true` adds logged payloads).
///
/// Answers `{"data": [...], "next_cursor": "…" | null, "has_more": bool}`. Rows carry LiteLLM's SpendLogs
/// names (`request_id`, `api_key` = key hash, `spend` in dollars, `startTime`, `model`, `user`, …) and
/// Tollgate's own columns (`key_id`, `cost_micros`, `status`, `ttft_ms`, `duration_ms`, …).
/// Pages come from an index on `(started_at, request_id)` (led by `key_id` or `user_id` when filtered),
/// so a deep page costs what the first does; there is no total count, which would scan the log.
struct UsageSpendLogRoutes: Sendable {
    static let defaultLimit = 100
    static let maxLimit = 1000

    let store: UsageStore

    @Sendable func logs(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let page = try await page(UsageParameters(request))
        return UsageJSON.response(["data": page.data, "next_cursor": page.nextCursor ?? NSNull(), "has_more": page.hasMore])
    }

    /// One page of the log: its rows (as ``entry(_:payloads:)`` shapes them), the cursor of the next page.
    struct Page {
        var data: [[String: Any]]
        var nextCursor: String?
        var hasMore: Bool { nextCursor != nil }
    }

    /// Reads the page `parameters` ask for; the dashboard's request log calls this with its own query.
    func page(_ parameters: UsageParameters) async throws -> Page {
        let limit = try parameters.integer("limit", in: 1...Self.maxLimit, default: Self.defaultLimit)
        var filter = UsageStore.LogFilter()
        filter.keyID = try await parameters.keyID { try await store.keyID(hash: $0) }
        filter.userID = parameters.string("user_id")
        filter.teamID = parameters.string("team_id")
        filter.endUser = parameters.endUser
        filter.model = parameters.string("model")
        filter.status = try parameters.status()
        filter.requestID = parameters.string("request_id")
        let start = try parameters.timeBound("start_date")
        let end = try parameters.timeBound("end_date")
        switch start {
        case .day(let day): filter.from = day.startMicros
        case .instant(let micros): filter.from = micros
        case nil: break
        }
        switch end {
        case .day(let day): filter.until = (UsageDay(daysSinceEpoch: day.daysSinceEpoch + 1).startMicros, false)
        case .instant(let micros): filter.until = (micros, true)
        case nil: break
        }
        if let from = filter.from, let until = filter.until, from > until.micros {
            throw UsageParameters.invalid("start_date", "'start_date' must not be after 'end_date'.")
        }
        if let text = parameters.string("cursor") {
            guard let cursor = SpendLogCursor(encoded: text) else {
                throw UsageParameters.invalid("cursor", "'cursor' is not a cursor this API returned (pass 'next_cursor' back as is).")
            }
            filter.cursor = cursor
        }
        let payloads = try parameters.flag("include_payload")

        // One row more than asked tells whether another page exists.
        let rows = try await store.logPage(filter, limit: limit + 1, payloads: payloads)
        let count = min(rows.count, limit)
        var data: [[String: Any]] = []
        data.reserveCapacity(count)
        for index in 0..<count { data.append(Self.entry(rows.row(index), payloads: payloads)) }
        var nextCursor: String?
        if rows.count > limit, count > 0 {
            let last = rows.row(count - 1)
            nextCursor = SpendLogCursor(startedAtMicros: last.int("started_us"), requestID: last.text("request_id") ?? "").encoded
        }
        return Page(data: data, nextCursor: nextCursor)
    }

    /// One log row in LiteLLM's SpendLogs names plus Tollgate's columns.
    static func entry(_ row: UsageRow, payloads: Bool) -> [String: Any] {
        let startedMicros = row.int("started_us")
        let durationMs = row.double("duration_ms") ?? 0
        let ttftMs = row.double("ttft_ms")
        let prompt = row.int("prompt_tokens")
        let completion = row.int("completion_tokens")
        let cost = row.int("cost_micros")
        let endpoint = row.text("endpoint") ?? ""
        var entry: [String: Any] = [
            // LiteLLM's names.
            "request_id": row.json("request_id"),
            "call_type": endpoint.contains("embed") ? "aembedding" : "acompletion",
            "api_key": row.json("key_hash"),
            "key_alias": row.json("key_alias"),
            "spend": Double(cost) / 1_000_000,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "startTime": UsageTime.rfc3339(micros: startedMicros),
            "endTime": UsageTime.rfc3339(micros: startedMicros + Int64((durationMs * 1000).rounded())),
            "completionStartTime": ttftMs.map { UsageTime.rfc3339(micros: startedMicros + Int64(($0 * 1000).rounded())) as Any } ?? NSNull(),
            "request_duration_ms": durationMs,
            "model": row.text("served_model") ?? row.json("requested_model"),
            "model_group": row.json("requested_model"),
            "custom_llm_provider": "ollama",
            "api_base": row.json("backend"),
            "user": row.text("user_id") ?? "",
            // Tollgate's columns.
            "key_id": row.json("key_id"),
            "user_id": row.json("user_id"),
            "team_id": row.json("team_id"),
            "end_user": row.json("end_user"),
            "dialect": row.json("dialect"),
            "endpoint": endpoint,
            "requested_model": row.json("requested_model"),
            "served_model": row.json("served_model"),
            "stream": row.bool("stream"),
            "status": row.json("status"),
            "http_status": row.int("http_status"),
            "error_type": row.json("error_type"),
            "cost_micros": cost,
            "started_at": UsageTime.rfc3339(micros: startedMicros),
            "ttft_ms": ttftMs.map { $0 as Any } ?? NSNull(),
            "duration_ms": durationMs,
            "upstream_ms": row.jsonDouble("upstream_ms"),
            "ollama_total_ns": row.jsonNumber("ollama_total_ns"),
            "ollama_load_ns": row.jsonNumber("ollama_load_ns"),
            "ollama_prompt_eval_ns": row.jsonNumber("ollama_prompt_eval_ns"),
            "ollama_eval_ns": row.jsonNumber("ollama_eval_ns"),
        ]
        if payloads {
            entry["payload"] =
                row.text("payload_mode").map { mode -> Any in
                    [
                        "mode": mode,
                        "request": Self.jsonOrText(row.text("payload_request")),
                        "response": Self.jsonOrText(row.text("payload_response")),
                        "truncated": row.bool("payload_truncated"),
                    ]
                } ?? NSNull()
        }
        return entry
    }

    /// Stored payload text as JSON when it parses (it does unless it was cut), else as a string.
    private static func jsonOrText(_ text: String?) -> Any {
        guard let text else { return NSNull() }
        return JSONText.decode(text) != nil ? RawJSON(text: text) : text
    }
}
