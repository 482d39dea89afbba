/// Collects one answer's ``ChatEvent``s into a whole Anthropic `message` object (wire-formats §4.3).
///
/// `{"id","type":"message","role":"assistant","model","content":[…],"stop_reason","stop_sequence":null,
/// "usage":{"input_tokens","output_tokens"}}`. Content blocks follow the order the events arrived in —
/// usually thinking, text, tool_use… — with consecutive text (or thinking) pieces merged into one block, so
/// interleaved thinking after text stays a separate block as in a stream. Thinking blocks carry
/// `"signature":""`; empty text makes no block, and an empty answer has `content: []`. Stop reason as
/// ``AnthropicStopReason``; `input_tokens` is Ollama's prompt count, or the estimate when it reported none.
public struct AnthropicMessageResponse: ChatAnswerBuilder {
    private enum Block {
        case text(String)
        case thinking(String)
        case toolUse(ToolCall)
    }

    private let messageID: String
    private let model: String
    private let estimatedInputTokens: Int
    private var blocks: [Block] = []
    public private(set) var completion: Completion?
    public private(set) var failure: String?

    /// - Parameters:
    ///   - messageID: the answer's `msg_…` id (``AnthropicID/message()``).
    ///   - model: the model as the client named it.
    ///   - estimatedInputTokens: used for `input_tokens` when Ollama reports no prompt count.
    public init(messageID: String, model: String, estimatedInputTokens: Int) {
        self.messageID = messageID
        self.model = model
        self.estimatedInputTokens = estimatedInputTokens
    }

    public mutating func add(_ event: ChatEvent) {
        guard completion == nil, failure == nil else { return }
        switch event {
        case .logprobs:
            return  // the Messages API has no log probabilities
        case .text(let piece):
            guard !piece.isEmpty else { return }
            if case .text(let text)? = blocks.last {
                blocks[blocks.count - 1] = .text(text + piece)
            } else {
                blocks.append(.text(piece))
            }
        case .thinking(let piece):
            guard !piece.isEmpty else { return }
            if case .thinking(let text)? = blocks.last {
                blocks[blocks.count - 1] = .thinking(text + piece)
            } else {
                blocks.append(.thinking(piece))
            }
        case .toolCall(var call):
            if call.id.isEmpty { call.id = AnthropicID.toolUse() }
            blocks.append(.toolUse(call))
        case .finished(let completion):
            self.completion = completion
        case .failed(let message):
            failure = message
        }
    }

    /// The `message` JSON. Call once ``completion`` is set; on ``failure`` send an error body instead.
    public func json() -> [UInt8] {
        let completion = completion ?? Completion(finishReason: .stop, usage: Usage())
        let calledTools = blocks.contains { if case .toolUse = $0 { true } else { false } }
        var json = JSONWriter(capacity: 512)
        json.raw("{\"id\":")
        json.string(messageID)
        json.raw(",\"type\":\"message\",\"role\":\"assistant\",\"model\":")
        json.string(model)
        json.raw(",\"content\":[")
        for (offset, block) in blocks.enumerated() {
            if offset > 0 { json.raw(",") }
            switch block {
            case .text(let text):
                json.raw("{\"type\":\"text\",\"text\":")
                json.string(text)
                json.raw("}")
            case .thinking(let text):
                json.raw("{\"type\":\"thinking\",\"thinking\":")
                json.string(text)
                json.raw(",\"signature\":\"\"}")
            case .toolUse(let call):
                json.raw("{\"type\":\"tool_use\",\"id\":")
                json.string(call.id)
                json.raw(",\"name\":")
                json.string(call.name)
                json.raw(",\"input\":")
                if call.arguments.members != nil { json.value(call.arguments) } else { json.raw("{}") }
                json.raw("}")
            }
        }
        json.raw("],\"stop_reason\":")
        json.string(AnthropicStopReason.of(completion.finishReason, calledTools: calledTools))
        json.raw(",\"stop_sequence\":null,\"usage\":{\"input_tokens\":")
        json.int(completion.usage.promptTokens > 0 ? completion.usage.promptTokens : estimatedInputTokens)
        json.raw(",\"output_tokens\":")
        json.int(completion.usage.completionTokens)
        json.raw("}}")
        return json.bytes
    }
}
