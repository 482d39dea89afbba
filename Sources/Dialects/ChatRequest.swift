/// A chat call in Tollgate's own terms: what every dialect decodes into and what is sent to Ollama.
public struct ChatRequest: Sendable, Equatable {
    /// The model as the client named it; routing resolves it to an Ollama model.
    public var model: String
    public var messages: [ChatMessage]
    public var stream: Bool
    public var options: GenerationOptions
    /// Tools the model may call; empty when none (or when the client said `tool_choice: none`).
    public var tools: [ToolDefinition]
    /// Structured output: plain JSON or a JSON schema (Ollama's `format`).
    public var format: ResponseFormat?
    /// Whether (and how hard) a thinking model should reason; nil leaves Ollama's default.
    public var think: Think?
    /// Log probabilities: nil asks for none; `n` asks for each token's and its `n` likeliest alternatives (0…20).
    public var logprobs: Int?
    /// The person behind the call as the body names them (OpenAI's `user`, Anthropic's `metadata.user_id`);
    /// never sent to Ollama.
    public var endUser: String? = nil

    public init(
        model: String, messages: [ChatMessage], stream: Bool, options: GenerationOptions = .init(), tools: [ToolDefinition] = [],
        format: ResponseFormat? = nil, think: Think? = nil, logprobs: Int? = nil
    ) {
        self.model = model
        self.messages = messages
        self.stream = stream
        self.options = options
        self.tools = tools
        self.format = format
        self.think = think
        self.logprobs = logprobs
    }

    /// Whether any turn carries an image still to be fetched.
    public var hasRemoteImages: Bool { messages.contains { $0.images.contains { $0.remoteURL != nil } } }
}

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case system, user, assistant, tool
    }

    public var role: Role
    /// The text of the turn; "" when the turn is only tool calls or images.
    public var content: String
    /// A replayed assistant turn's reasoning.
    public var thinking: String?
    /// Images: bare standard base64 (no `data:` prefix), as Ollama wants them, or a remote URL the gateway
    /// fetches and inlines before the call goes upstream.
    public var images: [ChatImage]
    /// The calls an assistant turn made.
    public var toolCalls: [ToolCall]
    /// On a `tool` turn: the name of the tool whose result this is.
    public var toolName: String?
    /// On a `tool` turn: the id of the call it answers.
    public var toolCallID: String?

    public init(
        role: Role, content: String, thinking: String? = nil, images: [ChatImage] = [], toolCalls: [ToolCall] = [],
        toolName: String? = nil, toolCallID: String? = nil
    ) {
        self.role = role
        self.content = content
        self.thinking = thinking
        self.images = images
        self.toolCalls = toolCalls
        self.toolName = toolName
        self.toolCallID = toolCallID
    }
}

/// One image of a turn: inline data, or an `http(s)` URL still to be fetched.
///
/// A string literal is inline base64, so `images: ["iVBORw0KGgo="]` reads as before.
public enum ChatImage: Sendable, Equatable, ExpressibleByStringLiteral {
    /// Bare standard base64.
    case base64(String)
    /// An `http://` or `https://` URL as the client sent it.
    case remote(String)

    public init(stringLiteral value: String) { self = .base64(value) }

    /// The URL of a remote image; nil for inline data.
    public var remoteURL: String? {
        if case .remote(let url) = self { return url }
        return nil
    }
}

/// A function the model may call.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON schema of the arguments, exactly as the client wrote it.
    public var parameters: JSON

    public init(name: String, description: String? = nil, parameters: JSON) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// One call of a tool, made by the model (in an answer) or replayed by the client (in a request).
public struct ToolCall: Sendable, Equatable {
    /// Stable across the round trip: the client sends it back with the tool's result.
    public var id: String
    public var name: String
    /// A JSON object, members in the model's order.
    public var arguments: JSON

    public init(id: String, name: String, arguments: JSON) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// Structured output.
public enum ResponseFormat: Sendable, Equatable {
    /// Any JSON object (Ollama's `"format": "json"`).
    case json
    /// JSON that follows this schema (Ollama's `"format": {…}`).
    case schema(JSON)
}

/// Ollama's `think`: on, off, or an effort level.
public enum Think: Sendable, Equatable {
    case enabled(Bool)
    /// `low`, `medium` or `high`.
    case level(String)
}

/// Sampling and length controls, in Ollama's terms. Nil means "not set": Ollama's or the model's default applies.
public struct GenerationOptions: Sendable, Equatable {
    /// Output tokens at most (Ollama's `num_predict`).
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var seed: Int?
    public var stop: [String]?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?

    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, seed: Int? = nil,
        stop: [String]? = nil, frequencyPenalty: Double? = nil, presencePenalty: Double? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.stop = stop
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
    }
}
