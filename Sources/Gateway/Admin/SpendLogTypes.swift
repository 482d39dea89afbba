import Dialects

/// One page of `/spend/logs`: `{"data": [...], "has_more": bool, "next_cursor": "…" | null}`.
struct SpendLogPage: UsageAnswer {
    var entries: [SpendLogEntry]
    /// The cursor of the next page (``SpendLogCursor/encoded``), nil on the last page.
    var nextCursor: String?
    var hasMore: Bool { nextCursor != nil }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.member("data", first: true)
        json.array(entries) { json, entry in entry.write(to: &json) }
        json.member("has_more")
        json.bool(hasMore)
        json.member("next_cursor")
        json.optionalString(nextCursor)
        json.raw("}")
    }
}

/// One request of the log, as `request_log` holds it (with its key's hash and alias), answered in LiteLLM's
/// SpendLogs names (`request_id`, `api_key` = key hash, `spend` in dollars, `startTime`, `model`, `user`, …)
/// plus Tollgate's own columns (`key_id`, `cost_micros`, `status`, `ttft_ms`, `duration_ms`, …).
struct SpendLogEntry: UsageAnswer {
    var requestID: String?
    var keyID: String?
    /// The key's hash, nil for the master key or a deleted key.
    var keyHash: String?
    var keyAlias: String?
    var userID: String?
    var teamID: String?
    var endUser: String?
    var dialect: String?
    var endpoint: String
    var requestedModel: String?
    var servedModel: String?
    var backend: String?
    var stream: Bool
    var status: String?
    var httpStatus: Int64
    var errorType: String?
    var promptTokens: Int64
    var completionTokens: Int64
    var costMicros: Int64
    /// Microseconds since 1970 (UTC).
    var startedMicros: Int64
    var durationMs: Double
    var ttftMs: Double?
    var upstreamMs: Double?
    var ollamaTotalNs: Int64?
    var ollamaLoadNs: Int64?
    var ollamaPromptEvalNs: Int64?
    var ollamaEvalNs: Int64?
    var payload: PayloadField = .notAsked

    /// Whether the page was asked for payloads (`include_payload`), and what was logged.
    enum PayloadField {
        /// No `payload` member at all.
        case notAsked
        /// `"payload": null`: nothing was logged for this request.
        case notLogged
        case logged(SpendLogPayload)
    }

    var totalTokens: Int64 { promptTokens + completionTokens }
    var spend: Double { Double(costMicros) / 1_000_000 }
    var startedAt: String { UsageTime.rfc3339(micros: startedMicros) }

    func write(to json: inout JSONWriter) {
        let started = startedAt
        json.raw("{")
        json.member("api_base", first: true)
        json.optionalString(backend)
        json.member("api_key")
        json.optionalString(keyHash)
        json.member("call_type")
        json.string(endpoint.contains("embed") ? "aembedding" : "acompletion")
        json.member("completionStartTime")
        json.optionalString(ttftMs.map { UsageTime.rfc3339(micros: startedMicros + Int64(($0 * 1000).rounded())) })
        json.member("completion_tokens")
        json.int(completionTokens)
        json.member("cost_micros")
        json.int(costMicros)
        json.member("custom_llm_provider")
        json.string("ollama")
        json.member("dialect")
        json.optionalString(dialect)
        json.member("duration_ms")
        json.number(durationMs)
        json.member("endTime")
        json.string(UsageTime.rfc3339(micros: startedMicros + Int64((durationMs * 1000).rounded())))
        json.member("end_user")
        json.optionalString(endUser)
        json.member("endpoint")
        json.string(endpoint)
        json.member("error_type")
        json.optionalString(errorType)
        json.member("http_status")
        json.int(httpStatus)
        json.member("key_alias")
        json.optionalString(keyAlias)
        json.member("key_id")
        json.optionalString(keyID)
        json.member("model")
        json.optionalString(servedModel ?? requestedModel)
        json.member("model_group")
        json.optionalString(requestedModel)
        json.member("ollama_eval_ns")
        json.optionalInt(ollamaEvalNs)
        json.member("ollama_load_ns")
        json.optionalInt(ollamaLoadNs)
        json.member("ollama_prompt_eval_ns")
        json.optionalInt(ollamaPromptEvalNs)
        json.member("ollama_total_ns")
        json.optionalInt(ollamaTotalNs)
        switch payload {
        case .notAsked: break
        case .notLogged:
            json.member("payload")
            json.raw("null")
        case .logged(let logged):
            json.member("payload")
            logged.write(to: &json)
        }
        json.member("prompt_tokens")
        json.int(promptTokens)
        json.member("request_duration_ms")
        json.number(durationMs)
        json.member("request_id")
        json.optionalString(requestID)
        json.member("requested_model")
        json.optionalString(requestedModel)
        json.member("served_model")
        json.optionalString(servedModel)
        json.member("spend")
        json.number(spend)
        json.member("startTime")
        json.string(started)
        json.member("started_at")
        json.string(started)
        json.member("status")
        json.optionalString(status)
        json.member("stream")
        json.bool(stream)
        json.member("team_id")
        json.optionalString(teamID)
        json.member("total_tokens")
        json.int(totalTokens)
        json.member("ttft_ms")
        json.number(ttftMs)
        json.member("upstream_ms")
        json.number(upstreamMs)
        json.member("user")
        json.string(userID ?? "")
        json.member("user_id")
        json.optionalString(userID)
        json.raw("}")
    }
}

/// A request's logged payload (`usage.log_payloads`): `{"mode", "request", "response", "truncated"}`.
struct SpendLogPayload {
    var mode: String
    var request: Body?
    var response: Body?
    var truncated: Bool

    /// Stored payload text: embedded as JSON when it parses (it does unless it was cut), else as a string.
    enum Body: Equatable {
        case json(String)
        case text(String)

        init(stored text: String) {
            self = JSONText.decode(text) != nil ? .json(text) : .text(text)
        }

        /// The text as stored.
        var text: String {
            switch self {
            case .json(let text), .text(let text): text
            }
        }

        func write(to json: inout JSONWriter) {
            switch self {
            case .json(let text): json.raw(text)
            case .text(let text): json.string(text)
            }
        }
    }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.member("mode", first: true)
        json.string(mode)
        json.member("request")
        if let request { request.write(to: &json) } else { json.raw("null") }
        json.member("response")
        if let response { response.write(to: &json) } else { json.raw("null") }
        json.member("truncated")
        json.bool(truncated)
        json.raw("}")
    }
}
