/// OpenAI's `POST /v1/chat/completions` request body: the fields Tollgate reads.
public struct OpenAIChatRequest: Decodable, Sendable {
    public struct Message: Decodable, Sendable {
        public var role: String
        public var content: Content?
    }

    /// Message content: a string, or an array of parts of which text parts are read.
    public enum Content: Decodable, Sendable {
        case text(String)
        case parts([Part])

        public struct Part: Decodable, Sendable {
            public var type: String
            public var text: String?
        }

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let text = try? single.decode(String.self) {
                self = .text(text)
            } else {
                self = .parts(try single.decode([Part].self))
            }
        }
    }

    public struct StreamOptions: Decodable, Sendable {
        public var include_usage: Bool?
    }

    /// `stop` may be one string or a list.
    public enum Stop: Decodable, Sendable {
        case one(String)
        case many([String])

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let one = try? single.decode(String.self) { self = .one(one) } else { self = .many(try single.decode([String].self)) }
        }

        var list: [String] {
            switch self {
            case .one(let value): [value]
            case .many(let values): values
            }
        }
    }

    public var model: String?
    public var messages: [Message]?
    public var stream: Bool?
    public var stream_options: StreamOptions?
    public var max_tokens: Int?
    public var max_completion_tokens: Int?
    public var temperature: Double?
    public var top_p: Double?
    public var seed: Int?
    public var stop: Stop?
    public var frequency_penalty: Double?
    public var presence_penalty: Double?
    public var n: Int?

    /// Whether a streamed answer ends with a usage chunk.
    public var includeUsage: Bool { stream_options?.include_usage ?? false }

    /// Validates the request and converts it to Tollgate's model; errors name the field at fault.
    public func chatRequest() throws(DialectError) -> ChatRequest {
        guard let model, !model.isEmpty else {
            throw DialectError(.invalidRequest, "You must provide a model parameter.", param: "model")
        }
        guard let messages, !messages.isEmpty else {
            throw DialectError(.invalidRequest, "'messages' must be a non-empty array.", param: "messages")
        }
        if let n, n != 1 {
            throw DialectError(.invalidRequest, "Only n=1 is supported; Ollama returns one choice.", param: "n")
        }
        for (name, value) in [("max_tokens", max_tokens), ("max_completion_tokens", max_completion_tokens)] {
            if let value, value < 1 {
                throw DialectError(.invalidRequest, "'\(name)' must be at least 1.", param: name)
            }
        }
        var converted: [ChatMessage] = []
        for (index, message) in messages.enumerated() {
            converted.append(try Self.convert(message, at: index))
        }
        let options = GenerationOptions(
            maxTokens: max_completion_tokens ?? max_tokens,
            temperature: temperature,
            topP: top_p,
            seed: seed,
            stop: stop?.list,
            frequencyPenalty: frequency_penalty,
            presencePenalty: presence_penalty
        )
        return ChatRequest(model: model, messages: converted, stream: stream ?? false, options: options)
    }

    private static func convert(_ message: Message, at index: Int) throws(DialectError) -> ChatMessage {
        let role: ChatMessage.Role
        switch message.role.lowercased() {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        default:
            throw DialectError(
                .invalidRequest, "Unsupported role '\(message.role)'; expected system, developer, user or assistant.",
                param: "messages[\(index)].role"
            )
        }
        switch message.content {
        case .text(let text):
            return ChatMessage(role: role, content: text)
        case .parts(let parts):
            var texts: [String] = []
            for (partIndex, part) in parts.enumerated() {
                guard part.type == "text", let text = part.text else {
                    throw DialectError(
                        .invalidRequest, "Unsupported content part type '\(part.type)'.",
                        param: "messages[\(index)].content[\(partIndex)]"
                    )
                }
                texts.append(text)
            }
            return ChatMessage(role: role, content: texts.joined(separator: "\n"))
        case nil:
            guard role == .assistant else {
                throw DialectError(.invalidRequest, "'content' is required.", param: "messages[\(index)].content")
            }
            return ChatMessage(role: role, content: "")
        }
    }
}
