/// Encodes one answer's ``ChatEvent``s as Anthropic Messages server-sent events (wire-formats §4.4).
///
/// Every frame is `event: <type>\ndata: <json>\n\n` with the same `type` inside the JSON. The sequence:
/// - ``start()``: `message_start` (`content:[]`, `stop_reason` and `stop_sequence` null, usage with the
///   *estimated* input tokens and `output_tokens: 0` — nothing has been generated yet, and `message_delta`
///   carries the cumulative figure), then a `ping`.
/// - Thinking opens a `thinking` block (`"thinking":"","signature":""`) fed by `thinking_delta`s; it is closed
///   with one `signature_delta` (an opaque, non-empty placeholder: Ollama has no signatures, but SDK snapshots
///   expect one) and `content_block_stop`.
/// - Text opens a `text` block fed by `text_delta`s.
/// - Each tool call closes the open block, then `content_block_start` (`tool_use`, `input:{}`), one
///   `input_json_delta` holding the whole arguments object (member order kept) and `content_block_stop`.
///   A call without an id gets a fresh `toolu_…` id.
/// - Thinking that resumes after text or a tool call opens a *new* thinking block (Ollama drops it).
/// - Block indexes run 0, 1, 2… in start order; empty text or thinking pieces open nothing.
/// - `.finished` closes the open block, then `message_delta` with the stop reason (see
///   ``AnthropicStopReason``) and usage (Ollama's prompt count, the estimate when Ollama reported none; its
///   output count), then `message_stop`. An empty answer is just `message_start`, `ping`, `message_delta`,
///   `message_stop`.
/// - `.failed` is one `event: error` (`overloaded_error` when Ollama said it is busy, else `api_error`) and
///   nothing after it — no block stops, no `message_stop` — so SDKs raise instead of keeping a cut answer.
public struct AnthropicStreamEncoder: ChatStreamEncoder {
    public static let contentType = "text/event-stream"

    /// The `signature_delta` sent before a thinking block closes. Clients send it back with the thinking
    /// block, and Tollgate drops it again on the way in.
    public static let thinkingSignature = "tollgate-unsigned-thinking"

    private enum OpenBlock {
        case none, text, thinking
    }

    private let messageID: String
    private let model: String
    private let estimatedInputTokens: Int
    private var open = OpenBlock.none
    private var nextIndex = 0
    private var calledTools = false
    private var started = false
    private var ended = false

    /// - Parameters:
    ///   - messageID: the answer's `msg_…` id (``AnthropicID/message()``).
    ///   - model: the model as the client named it.
    ///   - estimatedInputTokens: ``AnthropicMessagesRequest/estimatedInputTokens``, reported in `message_start`
    ///     and in `message_delta` when Ollama reports no prompt count.
    public init(messageID: String, model: String, estimatedInputTokens: Int) {
        self.messageID = messageID
        self.model = model
        self.estimatedInputTokens = estimatedInputTokens
    }

    /// `message_start` and a `ping`; empty when already started.
    public mutating func start() -> [UInt8] {
        guard !started else { return [] }
        started = true
        var out = frame("message_start") { json in
            json.raw(",\"message\":{\"id\":")
            json.string(messageID)
            json.raw(",\"type\":\"message\",\"role\":\"assistant\",\"model\":")
            json.string(model)
            json.raw(",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":")
            json.int(estimatedInputTokens)
            json.raw(",\"output_tokens\":0}}")
        }
        out += keepAlive()
        return out
    }

    /// The frames for `event`. Starts the message first if ``start()`` was not called; nothing after the end.
    public mutating func encode(_ event: ChatEvent) -> [UInt8] {
        guard !ended else { return [] }
        if case .failed(let message) = event {
            ended = true
            return Self.errorEvent(message: message)
        }
        var out = start()
        switch event {
        case .logprobs:
            break  // the Messages API has no log probabilities
        case .text(let text):
            guard !text.isEmpty else { break }
            if open != .text {
                out += closeBlock()
                out += startBlock { $0.raw("{\"type\":\"text\",\"text\":\"\"}") }
                open = .text
            }
            out += delta { json in
                json.raw("{\"type\":\"text_delta\",\"text\":")
                json.string(text)
                json.raw("}")
            }
        case .thinking(let text):
            guard !text.isEmpty else { break }
            if open != .thinking {
                out += closeBlock()
                out += startBlock { $0.raw("{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}") }
                open = .thinking
            }
            out += delta { json in
                json.raw("{\"type\":\"thinking_delta\",\"thinking\":")
                json.string(text)
                json.raw("}")
            }
        case .toolCall(let call):
            calledTools = true
            out += closeBlock()
            let id = call.id.isEmpty ? AnthropicID.toolUse() : call.id
            out += startBlock { json in
                json.raw("{\"type\":\"tool_use\",\"id\":")
                json.string(id)
                json.raw(",\"name\":")
                json.string(call.name)
                json.raw(",\"input\":{}}")
            }
            let arguments = call.arguments.members != nil ? call.arguments.text : "{}"
            out += delta { json in
                json.raw("{\"type\":\"input_json_delta\",\"partial_json\":")
                json.string(arguments)
                json.raw("}")
            }
            out += stopBlock()
        case .finished(let completion):
            ended = true
            out += closeBlock()
            let reason = AnthropicStopReason.of(completion.finishReason, calledTools: calledTools)
            let usage = completion.usage
            out += frame("message_delta") { json in
                json.raw(",\"delta\":{\"stop_reason\":")
                json.string(reason)
                json.raw(",\"stop_sequence\":null},\"usage\":{\"input_tokens\":")
                json.int(usage.promptTokens > 0 ? usage.promptTokens : estimatedInputTokens)
                json.raw(",\"output_tokens\":")
                json.int(usage.completionTokens)
                json.raw("}")
            }
            out += frame("message_stop") { _ in }
        case .failed:
            break
        }
        return out
    }

    /// A `ping` event. Safe before `message_start` too: SDKs skip pings before they reach the message state.
    public func keepAlive() -> [UInt8] {
        Array("event: ping\ndata: {\"type\":\"ping\"}\n\n".utf8)
    }

    /// The `event: error` frame for a failure after the stream began.
    public static func errorEvent(message: String) -> [UInt8] {
        let kind: DialectError.Kind = AnthropicStopReason.isOverloaded(message) ? .overloaded : .internalError
        var out = Array("event: error\ndata: ".utf8)
        out += AnthropicErrorBody.json(DialectError(kind, message))
        out += [0x0A, 0x0A]
        return out
    }

    // MARK: Frames

    private func frame(_ type: String, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        json.raw("event: \(type)\ndata: {\"type\":\"\(type)\"")
        body(&json)
        json.raw("}\n\n")
        return json.bytes
    }

    private func startBlock(_ block: (inout JSONWriter) -> Void) -> [UInt8] {
        frame("content_block_start") { json in
            json.raw(",\"index\":")
            json.int(nextIndex)
            json.raw(",\"content_block\":")
            block(&json)
        }
    }

    private func delta(_ delta: (inout JSONWriter) -> Void) -> [UInt8] {
        frame("content_block_delta") { json in
            json.raw(",\"index\":")
            json.int(nextIndex)
            json.raw(",\"delta\":")
            delta(&json)
        }
    }

    /// `content_block_stop` for the current index, which the next block then takes.
    private mutating func stopBlock() -> [UInt8] {
        let out = frame("content_block_stop") { json in
            json.raw(",\"index\":")
            json.int(nextIndex)
        }
        nextIndex += 1
        open = .none
        return out
    }

    /// Closes the open text or thinking block, signing a thinking block first.
    private mutating func closeBlock() -> [UInt8] {
        switch open {
        case .none:
            return []
        case .text:
            return stopBlock()
        case .thinking:
            var out = delta { json in
                json.raw("{\"type\":\"signature_delta\",\"signature\":")
                json.string(Self.thinkingSignature)
                json.raw("}")
            }
            out += stopBlock()
            return out
        }
    }
}

/// Anthropic's `stop_reason` for how an answer ended.
///
/// Any tool call ⇒ `tool_use`, even when the token limit was also hit: Ollama only ever delivers complete
/// calls, so every `tool_use` block the client received is runnable, and agent loops (Claude Code) run tools
/// on `tool_use` but stop on `max_tokens`. This is Ollama's own precedence. Otherwise `length` ⇒
/// `max_tokens` and `stop` ⇒ `end_turn`; Ollama never says which stop sequence matched, so `stop_sequence`
/// is never produced and `stop_sequence` is always null.
public enum AnthropicStopReason {
    public static func of(_ reason: FinishReason, calledTools: Bool) -> String {
        if calledTools { return "tool_use" }
        switch reason {
        case .stop: return "end_turn"
        case .length: return "max_tokens"
        }
    }

    /// Whether Ollama's error text means "busy, try again" (its 503 `server busy` queue limit).
    static func isOverloaded(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("server busy") || lowered.contains("maximum pending requests") || lowered.contains("overloaded")
    }
}

/// Fresh ids in Anthropic's shapes.
public enum AnthropicID {
    /// `msg_` and 24 lowercase hex digits.
    public static func message() -> String { "msg_" + randomCharacters(24, from: "0123456789abcdef") }

    /// `toolu_` and 24 letters and digits, for tool calls Ollama sent without an id.
    public static func toolUse() -> String {
        "toolu_" + randomCharacters(24, from: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    }

    private static func randomCharacters(_ count: Int, from alphabet: String) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters[Int.random(in: 0..<characters.count, using: &generator)] })
    }
}
