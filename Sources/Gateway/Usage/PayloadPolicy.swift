import Dialects

/// How much of each request and answer is kept in `request_payloads` (`usage.payload_logging`).
///
/// - `off` (the default): nothing.
/// - `metadata`: what was asked, not what was said. The request's parameters (every top-level field but
///   the conversation: `model`, `stream`, `temperature`, `max_tokens`, `stop`, `options`, `tool_choice`, …),
///   `messages` summarised as their count and roles, the tool names, the `response_format` type, the
///   body's size and the caller's user agent; of the answer, the finish reason, the number of characters
///   of text and reasoning, and the names of the tools called. No message text is stored.
/// - `full`: the request body and the answer (text, reasoning, tool calls, finish reason).
///
/// Both modes redact secrets (``PayloadRedactor``) and cap each part at `usage.payload_max_bytes`
/// (``PayloadRedactor/cap(_:maxBytes:)``, marked and flagged `truncated`).
struct PayloadPolicy: Sendable {
    let mode: GatewayConfig.Usage.PayloadLogging
    let maxBytes: Int
    let redactor: PayloadRedactor

    static let off = PayloadPolicy(mode: .off, maxBytes: 0, redactFields: [])

    init(mode: GatewayConfig.Usage.PayloadLogging, maxBytes: Int, redactFields: [String]) {
        self.mode = mode
        self.maxBytes = maxBytes
        self.redactor = PayloadRedactor(extraFields: redactFields)
    }

    init(config: GatewayConfig.Usage) {
        self.init(mode: config.payloadLogging, maxBytes: config.payloadMaxBytes, redactFields: config.redactFields)
    }

    /// Request fields that carry the conversation itself; `metadata` mode summarises or drops them.
    static let contentFields: Set<String> = [
        "messages", "tools", "functions", "prompt", "input", "instructions", "system", "images", "response_format",
    ]

    /// What to store of a request body, as JSON text, capped; nil when payload logging is off.
    ///
    /// The body is read with the order-keeping ``JSONParser``, so a stored request lists its fields in the
    /// order the client sent them, numbers as written.
    /// `parsed` is the body already parsed, when the caller has it; otherwise it is parsed here.
    func request(body: [UInt8], parsed: JSON? = nil, userAgent: String?) -> (text: String, truncated: Bool)? {
        guard mode != .off else { return nil }
        let parsed = parsed ?? (try? JSONParser.parse(body))
        switch mode {
        case .off:
            return nil
        case .full:
            guard let parsed, parsed.isContainer else {
                // Not a JSON object or array: keep the text, with key-like strings taken out.
                return PayloadRedactor.cap(redactor.redact(text: String(decoding: body, as: UTF8.self)), maxBytes: maxBytes)
            }
            return PayloadRedactor.cap(redactor.redact(parsed).text, maxBytes: maxBytes)
        case .metadata:
            var summary: [JSONMember] = [JSONMember("body_bytes", .number(String(body.count)))]
            if let userAgent { summary.append(JSONMember("user_agent", .string(userAgent))) }
            if case .object(let members)? = parsed {
                // What was measured here wins over a request field of the same name.
                for member in members where !Self.contentFields.contains(member.key) && !Self.measuredFields.contains(member.key) {
                    summary.append(member)
                }
                summary += Self.summary(ofContent: parsed ?? .null)
            } else {
                summary.append(JSONMember("valid_json", .bool(false)))
            }
            return PayloadRedactor.cap(redactor.redact(.object(summary)).text, maxBytes: maxBytes)
        }
    }

    /// Fields `metadata` mode writes itself.
    private static let measuredFields: Set<String> = ["body_bytes", "user_agent", "valid_json"]

    /// `messages` as count and roles, tools as names, `response_format` as its type.
    private static func summary(ofContent object: JSON) -> [JSONMember] {
        var summary: [JSONMember] = []
        if let messages = object["messages"]?.array {
            let roles = messages.map { JSON.string($0["role"]?.string ?? "?") }
            summary.append(JSONMember("messages", .object([JSONMember("count", .number(String(messages.count))), JSONMember("roles", .array(roles))])))
        }
        for field in ["tools", "functions"] {
            guard let tools = object[field]?.array else { continue }
            summary.append(JSONMember(field, .array(tools.map { .string($0["function"]?["name"]?.string ?? $0["name"]?.string ?? "?") })))
        }
        switch object["response_format"] {
        case .object(let members)?:
            let type = members.last { $0.key == "type" }?.value ?? .null
            summary.append(JSONMember("response_format", .object([JSONMember("type", type)])))
        case .string(let format)?:
            summary.append(JSONMember("response_format", .object([JSONMember("type", .string(format))])))
        default:
            break
        }
        for field in ["prompt", "input", "instructions", "system", "images"] where object[field] != nil {
            summary.append(JSONMember(field, .string("[omitted]")))
        }
        return summary
    }
}

extension JSON {
    /// Whether this is an object or an array: what payload logging stores as JSON.
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        case .null, .bool, .number, .string: false
        }
    }
}

/// Collects one request's payload as the request runs, under a ``PayloadPolicy``; lives in the
/// ``RequestMeter``. Answer text beyond the cap is not even kept in memory.
struct PayloadCapture: Sendable {
    let policy: PayloadPolicy
    private var request: String?
    private var requestTruncated = false
    private var content = ""
    private var reasoning = ""
    private var contentCharacters = 0
    private var reasoningCharacters = 0
    private var toolCalls: [ToolCall] = []
    private var finishReason: String?
    private var answerCut = false

    init(policy: PayloadPolicy) { self.policy = policy }

    mutating func request(body: [UInt8], parsed: JSON?, userAgent: String?) {
        guard let (text, truncated) = policy.request(body: body, parsed: parsed, userAgent: userAgent) else { return }
        request = text
        requestTruncated = truncated
    }

    mutating func add(_ event: ChatEvent) {
        switch event {
        case .text(let piece):
            contentCharacters += piece.count
            if policy.mode == .full { Self.append(piece, to: &content, maxBytes: policy.maxBytes, cut: &answerCut) }
        case .thinking(let piece):
            reasoningCharacters += piece.count
            if policy.mode == .full { Self.append(piece, to: &reasoning, maxBytes: policy.maxBytes, cut: &answerCut) }
        case .toolCall(let call):
            toolCalls.append(call)
        case .logprobs:
            break  // not part of the logged payload
        case .finished(let completion):
            finishReason = completion.finishReason.rawValue
        case .failed:
            finishReason = "error"
        }
    }

    /// Appends while the text is within the cap; the final capping marks the cut.
    private static func append(_ piece: String, to text: inout String, maxBytes: Int, cut: inout Bool) {
        guard text.utf8.count <= maxBytes else {
            cut = true
            return
        }
        text += piece
    }

    /// The payload to store, or nil when payload logging is off.
    func payload() -> UsagePayload? {
        guard let mode = UsagePayload.Mode(rawValue: policy.mode.rawValue) else { return nil }
        var answer = [JSONMember("finish_reason", finishReason.map(JSON.string) ?? .null)]
        switch mode {
        case .metadata:
            answer.append(JSONMember("content_chars", .number(String(contentCharacters))))
            answer.append(JSONMember("reasoning_chars", .number(String(reasoningCharacters))))
            answer.append(JSONMember("tool_calls", .array(toolCalls.map { .string($0.name) })))
        case .full:
            answer.append(JSONMember("content", .string(content)))
            if !reasoning.isEmpty { answer.append(JSONMember("reasoning", .string(reasoning))) }
            if !toolCalls.isEmpty {
                let calls = toolCalls.map { JSON.object([JSONMember("name", .string($0.name)), JSONMember("arguments", $0.arguments)]) }
                answer.append(JSONMember("tool_calls", .array(calls)))
            }
        }
        let (response, responseTruncated) = PayloadRedactor.cap(policy.redactor.redact(.object(answer)).text, maxBytes: policy.maxBytes)
        return UsagePayload(mode: mode, request: request, response: response, truncated: requestTruncated || responseTruncated || answerCut)
    }
}
