import Hummingbird

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
        try await page(UsageParameters(request)).response()
    }

    /// Reads the page `parameters` ask for; the dashboard's request log calls this with its own query.
    func page(_ parameters: UsageParameters) async throws -> SpendLogPage {
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
        return try await store.logPage(filter, limit: limit, payloads: try parameters.flag("include_payload"))
    }
}
