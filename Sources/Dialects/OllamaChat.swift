/// Ollama's native `POST /api/chat` request, as Tollgate sends it.
public struct OllamaChatRequest: Encodable, Sendable, Equatable {
    public struct Message: Codable, Sendable, Equatable {
        public var role: String
        public var content: String
    }

    public struct Options: Encodable, Sendable, Equatable {
        public var num_predict: Int?
        public var temperature: Double?
        public var top_p: Double?
        public var seed: Int?
        public var stop: [String]?
        public var frequency_penalty: Double?
        public var presence_penalty: Double?

        var isEmpty: Bool { self == Options() }
    }

    public var model: String
    public var messages: [Message]
    /// Always sent: Ollama streams when it is absent.
    public var stream: Bool
    public var options: Options?

    /// Builds the native request for `request`, addressed to `ollamaModel`.
    public init(_ request: ChatRequest, ollamaModel: String) {
        self.model = ollamaModel
        self.messages = request.messages.map { Message(role: $0.role.rawValue, content: $0.content) }
        self.stream = request.stream
        let o = request.options
        let options = Options(
            num_predict: o.maxTokens, temperature: o.temperature, top_p: o.topP, seed: o.seed, stop: o.stop,
            frequency_penalty: o.frequencyPenalty, presence_penalty: o.presencePenalty
        )
        self.options = options.isEmpty ? nil : options
    }
}

/// One object of Ollama's chat response: a stream chunk, the final chunk, or the whole non-stream answer.
///
/// Every field is optional because Ollama omits zero values (`prompt_eval_count` included).
public struct OllamaChatChunk: Decodable, Sendable, Equatable {
    public struct Message: Decodable, Sendable, Equatable {
        public var role: String?
        public var content: String?
        public var thinking: String?
    }

    public var model: String?
    public var created_at: String?
    public var message: Message?
    public var done: Bool?
    public var done_reason: String?
    public var total_duration: Int64?
    public var load_duration: Int64?
    public var prompt_eval_count: Int?
    public var prompt_eval_duration: Int64?
    public var eval_count: Int?
    public var eval_duration: Int64?
    /// Present only on an error line (`{"error":"…"}`), before or in the middle of a stream.
    public var error: String?
}

/// Ollama's error body, `{"error": "…"}`.
public struct OllamaError: Codable, Sendable, Equatable {
    public var error: String

    public init(error: String) { self.error = error }
}
