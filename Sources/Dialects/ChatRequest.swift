/// A chat call in Tollgate's own terms: what every dialect decodes into and what is sent to Ollama.
public struct ChatRequest: Sendable, Equatable {
    /// The model as the client named it; routing resolves it to an Ollama model.
    public var model: String
    public var messages: [ChatMessage]
    public var stream: Bool
    public var options: GenerationOptions

    public init(model: String, messages: [ChatMessage], stream: Bool, options: GenerationOptions = .init()) {
        self.model = model
        self.messages = messages
        self.stream = stream
        self.options = options
    }
}

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Sampling and length controls, in Ollama's terms. Nil means "not set": Ollama's or the model's default applies.
public struct GenerationOptions: Sendable, Equatable {
    /// Output tokens at most (Ollama's `num_predict`).
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var seed: Int?
    public var stop: [String]?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?

    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, seed: Int? = nil, stop: [String]? = nil,
        frequencyPenalty: Double? = nil, presencePenalty: Double? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
    }
}
