/// Encodes ``ChatEvent``s as OpenAI `text_completion` server-sent events.
///
/// One chunk per text event (`{"text","index":0,"logprobs":null,"finish_reason":null}`), then a chunk with
/// `"text":""` and the finish reason, then with `include_usage` a usage chunk with no choices, then
/// `data: [DONE]`. Log probabilities, when asked for, follow their text as a chunk with `"text":""` and the
/// legacy `logprobs` object. Thinking and tool calls are dropped: a completion is text only. A failure is one
/// `data: {"error":…}` event and nothing after it.
public struct OpenAICompletionStreamEncoder: ChatStreamEncoder {
    public static let contentType = "text/event-stream"

    private let envelope: OpenAICompletionEnvelope
    private let includeUsage: Bool
    private var ended = false
    private var logprobs = OpenAICompletionLogprobs()

    public init(envelope: OpenAICompletionEnvelope, includeUsage: Bool) {
        self.envelope = envelope
        self.includeUsage = includeUsage
    }

    public mutating func start() -> [UInt8] { [] }

    public func keepAlive() -> [UInt8] { OpenAISSE.keepAlive }

    public mutating func encode(_ event: ChatEvent) -> [UInt8] {
        guard !ended else { return [] }
        switch event {
        case .text(let text):
            return chunk(text: text, finishReason: nil)
        case .logprobs(let entries):
            return chunk(text: "", finishReason: nil, logprobs: entries)
        case .thinking, .toolCall:
            return []
        case .finished(let completion):
            ended = true
            var out = chunk(text: "", finishReason: completion.finishReason.openAI)
            if includeUsage {
                var json = JSONWriter()
                json.raw("data: ")
                json.openAIEnvelope(envelope, object: "text_completion")
                json.raw(",\"choices\":[],\"usage\":")
                json.openAIUsage(completion.usage)
                json.raw("}\n\n")
                out += json.bytes
            }
            return out + OpenAISSE.done
        case .failed(let message):
            ended = true
            return OpenAISSE.error(message)
        }
    }

    private mutating func chunk(text: String, finishReason: String?, logprobs entries: [TokenLogprob] = []) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        json.openAIEnvelope(envelope, object: "text_completion")
        json.raw(",\"choices\":[{\"text\":")
        json.string(text)
        json.raw(",\"index\":0,\"logprobs\":")
        if entries.isEmpty { json.raw("null") } else { logprobs.json(entries, into: &json) }
        json.raw(",\"finish_reason\":")
        json.optionalString(finishReason)
        json.raw("}]}\n\n")
        return json.bytes
    }
}

/// Collects ``ChatEvent``s into one non-streamed `text_completion` object (thinking and tool calls dropped).
public struct OpenAICompletionResponse: ChatAnswerBuilder {
    private let envelope: OpenAICompletionEnvelope
    private var text = ""
    private var logprobs: [TokenLogprob] = []
    public private(set) var completion: Completion?
    public private(set) var failure: String?

    public init(envelope: OpenAICompletionEnvelope) { self.envelope = envelope }

    public mutating func add(_ event: ChatEvent) {
        switch event {
        case .text(let piece): text += piece
        case .logprobs(let entries): logprobs += entries
        case .thinking, .toolCall: break
        case .finished(let completion): self.completion = completion
        case .failed(let message): failure = message
        }
    }

    /// The `text_completion` JSON; call once ``completion`` is set.
    public func json() -> [UInt8] {
        let completion = completion ?? Completion(finishReason: .stop, usage: Usage())
        var json = JSONWriter(capacity: text.utf8.count + 256)
        json.openAIEnvelope(envelope, object: "text_completion")
        json.raw(",\"choices\":[{\"text\":")
        json.string(text)
        json.raw(",\"index\":0,\"logprobs\":")
        if logprobs.isEmpty {
            json.raw("null")
        } else {
            var writer = OpenAICompletionLogprobs()
            writer.json(logprobs, into: &json)
        }
        json.raw(",\"finish_reason\":")
        json.string(completion.finishReason.openAI)
        json.raw("}],\"usage\":")
        json.openAIUsage(completion.usage)
        json.raw("}")
        return json.bytes
    }
}
