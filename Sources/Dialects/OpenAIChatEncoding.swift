/// The envelope every OpenAI chat answer shares: one id, one creation time, the model as requested.
public struct OpenAIChatEnvelope: Sendable {
    public var id: String
    public var created: Int
    public var model: String

    public init(id: String, created: Int, model: String) {
        self.id = id
        self.created = created
        self.model = model
    }
}

/// Encodes ``ChatEvent``s as OpenAI `chat.completion.chunk` server-sent events.
///
/// The first chunk carries the role; the finish chunk has an empty delta and the finish reason; with
/// `include_usage` a usage chunk with no choices follows; `data: [DONE]` closes a successful stream.
/// A failure becomes one `data: {"error":…}` event and nothing after it, so SDKs raise instead of
/// mistaking a cut answer for a complete one.
public struct OpenAIStreamEncoder: ChatStreamEncoder {
    public static let contentType = "text/event-stream"

    private let envelope: OpenAIChatEnvelope
    private let includeUsage: Bool
    private var sentRole = false

    public init(envelope: OpenAIChatEnvelope, includeUsage: Bool) {
        self.envelope = envelope
        self.includeUsage = includeUsage
    }

    public mutating func start() -> [UInt8] { [] }

    public func keepAlive() -> [UInt8] { Array(": keep-alive\n\n".utf8) }

    /// The SSE bytes for `event` (possibly several events, possibly none).
    public mutating func encode(_ event: ChatEvent) -> [UInt8] {
        switch event {
        case .text(let text):
            return chunk(delta: { $0.raw("\"content\":"); $0.string(text) }, finishReason: nil)
        case .thinking(let text):
            return chunk(delta: { $0.raw("\"content\":\"\",\"reasoning\":"); $0.string(text) }, finishReason: nil)
        case .toolCall:
            return []
        case .finished(let completion):
            var out: [UInt8] = []
            if !sentRole { out += chunk(delta: { $0.raw("\"content\":\"\"") }, finishReason: nil) }
            out += chunk(delta: nil, finishReason: completion.finishReason.openAI)
            if includeUsage { out += usageChunk(completion.usage) }
            out += Array("data: [DONE]\n\n".utf8)
            return out
        case .failed(let message):
            return frame(OpenAIErrorBody.json(DialectError(.upstreamUnavailable, message)))
        }
    }

    /// One `data: {…}\n\n` event, written in a single buffer.
    private mutating func chunk(delta: ((inout JSONWriter) -> Void)?, finishReason: String?) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        envelopeStart(&json)
        json.raw(",\"choices\":[{\"index\":0,\"delta\":{")
        if let delta {
            if !sentRole {
                json.raw("\"role\":\"assistant\",")
                sentRole = true
            }
            delta(&json)
        }
        json.raw("},\"finish_reason\":")
        json.optionalString(finishReason)
        json.raw("}]}\n\n")
        return json.bytes
    }

    private func usageChunk(_ usage: Usage) -> [UInt8] {
        var json = JSONWriter()
        json.raw("data: ")
        envelopeStart(&json)
        json.raw(",\"choices\":[],\"usage\":")
        OpenAIChatResponse.writeUsage(usage, to: &json)
        json.raw("}\n\n")
        return json.bytes
    }

    private func envelopeStart(_ json: inout JSONWriter) {
        json.raw("{\"id\":")
        json.string(envelope.id)
        json.raw(",\"object\":\"chat.completion.chunk\",\"created\":")
        json.int(envelope.created)
        json.raw(",\"model\":")
        json.string(envelope.model)
        json.raw(",\"system_fingerprint\":\"fp_tollgate\"")
    }

    private func frame(_ json: [UInt8]) -> [UInt8] {
        Array("data: ".utf8) + json + [0x0A, 0x0A]
    }
}

/// Collects ``ChatEvent``s into one non-streamed `chat.completion` object.
public struct OpenAIChatResponse: ChatAnswerBuilder {
    private let envelope: OpenAIChatEnvelope
    private var text = ""
    private var reasoning = ""
    public private(set) var completion: Completion?
    public private(set) var failure: String?

    public init(envelope: OpenAIChatEnvelope) { self.envelope = envelope }

    public mutating func add(_ event: ChatEvent) {
        switch event {
        case .text(let piece): text += piece
        case .thinking(let piece): reasoning += piece
        case .toolCall: break
        case .finished(let completion): self.completion = completion
        case .failed(let message): failure = message
        }
    }

    /// The `chat.completion` JSON; call once ``completion`` is set.
    public func json() -> [UInt8] {
        let completion = completion ?? Completion(finishReason: .stop, usage: Usage())
        var json = JSONWriter(capacity: text.utf8.count + 256)
        json.raw("{\"id\":")
        json.string(envelope.id)
        json.raw(",\"object\":\"chat.completion\",\"created\":")
        json.int(envelope.created)
        json.raw(",\"model\":")
        json.string(envelope.model)
        json.raw(",\"system_fingerprint\":\"fp_tollgate\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":")
        json.string(text)
        if !reasoning.isEmpty {
            json.raw(",\"reasoning\":")
            json.string(reasoning)
        }
        json.raw("},\"finish_reason\":")
        json.string(completion.finishReason.openAI)
        json.raw("}],\"usage\":")
        Self.writeUsage(completion.usage, to: &json)
        json.raw("}")
        return json.bytes
    }

    static func writeUsage(_ usage: Usage, to json: inout JSONWriter) {
        json.raw("{\"prompt_tokens\":")
        json.int(usage.promptTokens)
        json.raw(",\"completion_tokens\":")
        json.int(usage.completionTokens)
        json.raw(",\"total_tokens\":")
        json.int(usage.totalTokens)
        json.raw("}")
    }
}

extension FinishReason {
    /// OpenAI's `finish_reason` word.
    var openAI: String {
        switch self {
        case .stop: "stop"
        case .length: "length"
        }
    }
}
