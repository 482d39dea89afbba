/// Collects ``ChatEvent``s into one non-streamed `chat.completion` object.
///
/// `content` is `null` when the answer is only tool calls (as OpenAI writes it; Ollama writes `""`), each
/// call carries its id and its arguments as a JSON string, reasoning goes in `message.reasoning`, and the
/// finish reason is `length` > `tool_calls` > `stop`. Log probabilities, when Ollama sent any, are in
/// `choices[0].logprobs.content`.
public struct OpenAIChatResponse: ChatAnswerBuilder {
    private let envelope: OpenAIChatEnvelope
    private var text = ""
    private var reasoning = ""
    private var toolCalls: [ToolCall] = []
    private var logprobs: [TokenLogprob] = []
    public private(set) var completion: Completion?
    public private(set) var failure: String?

    public init(envelope: OpenAIChatEnvelope) { self.envelope = envelope }

    public mutating func add(_ event: ChatEvent) {
        switch event {
        case .text(let piece): text += piece
        case .thinking(let piece): reasoning += piece
        case .toolCall(let call): toolCalls.append(call)
        case .logprobs(let entries): logprobs += entries
        case .finished(let completion): self.completion = completion
        case .failed(let message): failure = message
        }
    }

    /// The `chat.completion` JSON; call once ``completion`` is set.
    public func json() -> [UInt8] {
        let completion = completion ?? Completion(finishReason: .stop, usage: Usage())
        var json = JSONWriter(capacity: text.utf8.count + reasoning.utf8.count + 256)
        json.openAIEnvelope(envelope, object: "chat.completion")
        json.raw(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":")
        if text.isEmpty && !toolCalls.isEmpty { json.raw("null") } else { json.string(text) }
        if !reasoning.isEmpty {
            json.raw(",\"reasoning\":")
            json.string(reasoning)
        }
        if !toolCalls.isEmpty {
            json.raw(",\"tool_calls\":[")
            for (index, call) in toolCalls.enumerated() {
                if index > 0 { json.raw(",") }
                json.raw("{\"id\":")
                json.string(call.id)
                json.raw(",\"type\":\"function\",\"function\":{\"name\":")
                json.string(call.name)
                json.raw(",\"arguments\":")
                json.string(call.arguments.text)
                json.raw("}}")
            }
            json.raw("]")
        }
        json.raw("}")
        if !logprobs.isEmpty {
            json.raw(",\"logprobs\":{\"content\":")
            json.logprobEntries(logprobs)
            json.raw("}")
        }
        json.raw(",\"finish_reason\":")
        json.string(completion.finishReason.openAI(calledTools: !toolCalls.isEmpty))
        json.raw("}],\"usage\":")
        json.openAIUsage(completion.usage)
        json.raw("}")
        return json.bytes
    }

    static func writeUsage(_ usage: Usage, to json: inout JSONWriter) { json.openAIUsage(usage) }
}
