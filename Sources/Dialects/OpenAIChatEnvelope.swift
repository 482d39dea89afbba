/// The envelope every OpenAI answer shares (chat and completions): one id, one creation time, the model as requested.
///
/// The caller makes the id unique (`chatcmpl-<uuid>`, `cmpl-<uuid>`); Ollama's own `chatcmpl-<0..998>` collide.
public struct OpenAIChatEnvelope: Sendable, Equatable {
    public var id: String
    public var created: Int
    public var model: String

    public init(id: String, created: Int, model: String) {
        self.id = id
        self.created = created
        self.model = model
    }
}

/// The same envelope for `/v1/completions` answers.
public typealias OpenAICompletionEnvelope = OpenAIChatEnvelope

/// The `system_fingerprint` of every OpenAI answer Tollgate writes.
let openAISystemFingerprint = "fp_tollgate"

extension JSONWriter {
    /// `{"id":…,"object":<object>,"created":…,"model":…,"system_fingerprint":…` — the object is left open.
    mutating func openAIEnvelope(_ envelope: OpenAIChatEnvelope, object: String) {
        raw("{\"id\":")
        string(envelope.id)
        raw(",\"object\":\"\(object)\",\"created\":")
        int(envelope.created)
        raw(",\"model\":")
        string(envelope.model)
        raw(",\"system_fingerprint\":\"\(openAISystemFingerprint)\"")
    }

    /// `{"prompt_tokens","completion_tokens","total_tokens"}`.
    mutating func openAIUsage(_ usage: Usage) {
        raw("{\"prompt_tokens\":")
        int(usage.promptTokens)
        raw(",\"completion_tokens\":")
        int(usage.completionTokens)
        raw(",\"total_tokens\":")
        int(usage.totalTokens)
        raw("}")
    }
}

/// Server-sent event framing shared by the OpenAI encoders.
enum OpenAISSE {
    static let done = Array("data: [DONE]\n\n".utf8)
    static let keepAlive = Array(": keep-alive\n\n".utf8)

    /// `data: <json>\n\n`.
    static func frame(_ json: [UInt8]) -> [UInt8] {
        Array("data: ".utf8) + json + [0x0A, 0x0A]
    }

    /// The one event a failed stream ends with: OpenAI's error object, which SDKs raise as `APIError`.
    static func error(_ message: String) -> [UInt8] {
        frame(OpenAIErrorBody.json(DialectError(.upstreamUnavailable, message)))
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

    /// OpenAI's `finish_reason` for a chat answer: `length` > `tool_calls` > `stop`.
    func openAI(calledTools: Bool) -> String {
        self == .length ? "length" : calledTools ? "tool_calls" : "stop"
    }
}
