import Dialects
import Foundation

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
    func request(body: Data, userAgent: String?) -> (text: String, truncated: Bool)? {
        let parsed = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        switch mode {
        case .off:
            return nil
        case .full:
            guard let parsed, JSONSerialization.isValidJSONObject(parsed) else {
                // Not JSON: keep the text, with key-like strings taken out.
                return PayloadRedactor.cap(redactor.redact(text: String(decoding: body, as: UTF8.self)), maxBytes: maxBytes)
            }
            return PayloadRedactor.cap(Self.text(redactor.redact(parsed)), maxBytes: maxBytes)
        case .metadata:
            var summary: [String: Any] = ["body_bytes": body.count]
            if let userAgent { summary["user_agent"] = redactor.redact(text: userAgent) }
            if let object = parsed as? [String: Any] {
                for (key, value) in object where !Self.contentFields.contains(key) { summary[key] = value }
                summary.merge(Self.summary(ofContent: object)) { first, _ in first }
            } else {
                summary["valid_json"] = false
            }
            return PayloadRedactor.cap(Self.text(redactor.redact(summary)), maxBytes: maxBytes)
        }
    }

    /// `messages` as count and roles, tools as names, `response_format` as its type.
    private static func summary(ofContent object: [String: Any]) -> [String: Any] {
        var summary: [String: Any] = [:]
        if let messages = object["messages"] as? [Any] {
            summary["messages"] = [
                "count": messages.count,
                "roles": messages.map { (($0 as? [String: Any])?["role"] as? String) ?? "?" },
            ]
        }
        for field in ["tools", "functions"] {
            guard let tools = object[field] as? [Any] else { continue }
            summary[field] = tools.map { tool -> String in
                let tool = tool as? [String: Any]
                return ((tool?["function"] as? [String: Any])?["name"] as? String) ?? (tool?["name"] as? String) ?? "?"
            }
        }
        if let format = object["response_format"] as? [String: Any] { summary["response_format"] = ["type": format["type"] ?? NSNull()] }
        if let format = object["response_format"] as? String { summary["response_format"] = ["type": format] }
        for field in ["prompt", "input", "instructions", "system", "images"] where object[field] != nil { summary[field] = "[omitted]" }
        return summary
    }

    static func text(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
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

    mutating func request(body: Data, userAgent: String?) {
        guard let (text, truncated) = policy.request(body: body, userAgent: userAgent) else { return }
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
        var answer: [String: Any] = ["finish_reason": finishReason ?? NSNull()]
        switch mode {
        case .metadata:
            answer["content_chars"] = contentCharacters
            answer["reasoning_chars"] = reasoningCharacters
            answer["tool_calls"] = toolCalls.map(\.name)
        case .full:
            answer["content"] = content
            if !reasoning.isEmpty { answer["reasoning"] = reasoning }
            if !toolCalls.isEmpty {
                answer["tool_calls"] = toolCalls.map { ["name": $0.name, "arguments": Self.foundationValue($0.arguments)] }
            }
        }
        let (response, responseTruncated) = PayloadRedactor.cap(PayloadPolicy.text(policy.redactor.redact(answer)), maxBytes: policy.maxBytes)
        return UsagePayload(mode: mode, request: request, response: response, truncated: requestTruncated || responseTruncated || answerCut)
    }

    /// An order-keeping ``JSON`` value as `JSONSerialization` would have read it.
    static func foundationValue(_ json: JSON) -> Any {
        switch json {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let text): Double(text).map { $0 as Any } ?? text
        case .string(let text): text
        case .array(let items): items.map(foundationValue)
        case .object(let members): Dictionary(members.map { ($0.key, foundationValue($0.value)) }) { _, last in last }
        }
    }
}
