/// Encodes ``ChatEvent``s as OpenAI `chat.completion.chunk` server-sent events.
///
/// The sequence (Ollama's since #17485, which follows api.openai.com): the first chunk carries
/// `"role":"assistant"`; each text, reasoning or tool-call event is one chunk (`content` is always written,
/// `""` on reasoning chunks; `reasoning` only on reasoning chunks); a tool call is one delta with the whole
/// arguments string and a gateway-assigned `index`, unique and stable per call, because the OpenAI SDK merges
/// deltas by index; then a finish chunk with an empty delta and `length` > `tool_calls` > `stop`; with
/// `include_usage` a usage chunk with no choices; then `data: [DONE]`. A zero-token answer still gets a role
/// chunk. Log probabilities, when asked for, follow their text as a chunk of their own (`"content":""` and
/// `choices[0].logprobs.content`), which the SDKs append to what they collected. A failure becomes one `data: {"error":…}` event and nothing after it, so SDKs raise instead of
/// mistaking a cut answer for a complete one. Nothing is written after the finish or the failure.
public struct OpenAIStreamEncoder: ChatStreamEncoder {
    public static let contentType = "text/event-stream"

    private let envelope: OpenAIChatEnvelope
    private let includeUsage: Bool
    private var sentRole = false
    private var toolCallCount = 0
    private var ended = false

    public init(envelope: OpenAIChatEnvelope, includeUsage: Bool) {
        self.envelope = envelope
        self.includeUsage = includeUsage
    }

    public mutating func start() -> [UInt8] { [] }

    public func keepAlive() -> [UInt8] { OpenAISSE.keepAlive }

    /// The SSE bytes for `event` (possibly several events, possibly none).
    public mutating func encode(_ event: ChatEvent) -> [UInt8] {
        guard !ended else { return [] }
        switch event {
        case .text(let text):
            return chunk { json in
                json.raw("\"content\":")
                json.string(text)
            }
        case .thinking(let text):
            return chunk { json in
                json.raw("\"content\":\"\",\"reasoning\":")
                json.string(text)
            }
        case .logprobs(let entries):
            return chunk(logprobs: entries) { $0.raw("\"content\":\"\"") }
        case .toolCall(let call):
            let index = toolCallCount
            toolCallCount += 1
            return chunk { json in
                json.raw("\"tool_calls\":[{\"index\":")
                json.int(index)
                json.raw(",\"id\":")
                json.string(call.id)
                json.raw(",\"type\":\"function\",\"function\":{\"name\":")
                json.string(call.name)
                json.raw(",\"arguments\":")
                json.string(call.arguments.text)
                json.raw("}}]")
            }
        case .finished(let completion):
            ended = true
            var out: [UInt8] = []
            if !sentRole { out += chunk { $0.raw("\"content\":\"\"") } }
            out += finishChunk(completion.finishReason.openAI(calledTools: toolCallCount > 0))
            if includeUsage { out += usageChunk(completion.usage) }
            out += OpenAISSE.done
            return out
        case .failed(let message):
            ended = true
            return OpenAISSE.error(message)
        }
    }

    /// One `data: {…}\n\n` event with a delta, written in a single buffer; the first one carries the role.
    private mutating func chunk(logprobs: [TokenLogprob] = [], _ delta: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        json.openAIEnvelope(envelope, object: "chat.completion.chunk")
        json.raw(",\"choices\":[{\"index\":0,\"delta\":{")
        if !sentRole {
            json.raw("\"role\":\"assistant\",")
            sentRole = true
        }
        delta(&json)
        json.raw("}")
        if !logprobs.isEmpty {
            json.raw(",\"logprobs\":{\"content\":")
            json.logprobEntries(logprobs)
            json.raw("}")
        }
        json.raw(",\"finish_reason\":null}]}\n\n")
        return json.bytes
    }

    /// The chunk with an empty delta and the finish reason.
    private func finishChunk(_ reason: String) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        json.openAIEnvelope(envelope, object: "chat.completion.chunk")
        json.raw(",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":")
        json.string(reason)
        json.raw("}]}\n\n")
        return json.bytes
    }

    private func usageChunk(_ usage: Usage) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        json.openAIEnvelope(envelope, object: "chat.completion.chunk")
        json.raw(",\"choices\":[],\"usage\":")
        json.openAIUsage(usage)
        json.raw("}\n\n")
        return json.bytes
    }
}
