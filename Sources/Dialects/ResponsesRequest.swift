/// OpenAI's `POST /v1/responses` request (wire-formats §8.1), read from the ordered JSON.
///
/// The route reads ``previousResponseID(in:)`` first, looks the stored conversation up, and passes its
/// items as `history`; the request's messages are then `instructions` (never inherited) + history + `input`.
/// Refusals are 400 ``DialectError``s naming the field. Unknown fields, and known ones Ollama has no use for
/// (`text.verbosity`, `prompt_cache_key`, `service_tier`, `truncation`, …), are ignored; the fields a response
/// object echoes are kept in ``echo``. Of `include`, only `message.output_text.logprobs` has an effect.
///
/// ```swift
/// let body = try ResponsesRequest.body(bytes)
/// let history = try await store.history(ResponsesRequest.previousResponseID(in: body))
/// let request = try ResponsesRequest(body: body, history: history)
/// ```
public struct ResponsesRequest: Sendable {
    /// The request in Tollgate's terms.
    public var chat: ChatRequest
    /// What the response object says back about the request.
    public var echo: ResponsesEcho
    /// The new `input`, normalised to typed items that each have an `id` (a string input is one user message).
    public var input: [JSON]
    /// How each offered tool's calls are written back (plain functions, namespaced functions, custom tools).
    public var toolKinds: ResponsesToolKinds

    /// Parses a body that must be one JSON object.
    public static func body(_ bytes: some Collection<UInt8>) throws(DialectError) -> JSON { try RequestField.body(bytes) }

    /// `previous_response_id`, when set.
    public static func previousResponseID(in body: JSON) throws(DialectError) -> String? {
        try body.stringField("previous_response_id")
    }

    /// Checks a parsed body; `history` is the stored conversation `previous_response_id` names (its
    /// effective input and its output items), empty when there is none.
    public init(body: JSON, history: [JSON] = [], ids: ResponsesIDs = .random) throws(DialectError) {
        guard let model = try body.stringField("model"), !model.isEmpty else {
            throw DialectError(.invalidRequest, "You must provide a model parameter.", param: "model")
        }
        if try body.boolField("background") == true {
            throw RequestField.invalidValue("background", "background responses are not supported.")
        }
        if body.present("conversation") != nil {
            throw RequestField.invalidValue("conversation", "conversations are not supported; use previous_response_id.")
        }
        if body.present("prompt") != nil {
            throw RequestField.invalidValue("prompt", "prompt templates are not supported.")
        }
        let input = try Self.normalisedInput(body.present("input"), ids: ids)
        // Tools come from `tools` and, in newer Codex, from `additional_tools` input items.
        var tools: [ToolDefinition] = []
        var kinds = ResponsesToolKinds()
        try ResponsesTools.decode(body.arrayField("tools"), into: &tools, kinds: &kinds)
        for (index, item) in input.enumerated() where item["type"]?.string == "additional_tools" {
            try ResponsesTools.decode(item.arrayField("tools", in: "input[\(index)]"), field: "input[\(index)].tools", into: &tools, kinds: &kinds)
        }
        let instructions = try body.stringField("instructions")
        var messages: [ChatMessage] = []
        if let instructions, !instructions.isEmpty { messages.append(ChatMessage(role: .system, content: instructions)) }
        messages += try ResponsesInput.messages(history, path: "previous_response_id")
        messages += try ResponsesInput.messages(input, path: "input", earlier: messages)
        guard messages.contains(where: { $0.role != .system }) else {
            throw DialectError(.invalidRequest, "Invalid 'input': there is nothing to answer.", param: "input")
        }
        let text = try body.objectField("text")
        let options = GenerationOptions(
            maxTokens: try body.tokenLimitField("max_output_tokens"),
            temperature: try body.doubleField("temperature"),
            topP: try body.doubleField("top_p"),
            stop: try body.stopField()
        )
        self.toolKinds = kinds
        self.input = input
        self.echo = try ResponsesEcho(body: body, instructions: instructions)
        self.chat = ChatRequest(
            model: model, messages: messages, stream: try body.boolField("stream") ?? false, options: options,
            tools: try ResponsesTools.chosen(tools, choice: body.present("tool_choice")),
            format: try Self.format(text?.objectField("format", in: "text")),
            think: try OpenAIChatRequest.think(body),
            logprobs: try Self.logprobs(body)
        )
    }

    /// Log probabilities, as OpenAI gives them: only with `include: ["message.output_text.logprobs"]`, with
    /// `top_logprobs` (0…20) alternatives per token.
    static func logprobs(_ body: JSON) throws(DialectError) -> Int? {
        let top = try body.intField("top_logprobs")
        if let top, !(0...TokenLogprob.maxTop).contains(top) {
            throw RequestField.invalidValue("top_logprobs", "expected an integer from 0 to \(TokenLogprob.maxTop).")
        }
        let include = try body.arrayField("include") ?? []
        return include.contains(.string("message.output_text.logprobs")) ? top ?? 0 : nil
    }

    /// `input` as typed items with ids: a string is one user message; a message without `type` gets one.
    static func normalisedInput(_ value: JSON?, ids: ResponsesIDs) throws(DialectError) -> [JSON] {
        switch value {
        case nil:
            throw RequestField.missing("input")
        case .string(let text)?:
            guard !text.isEmpty else { throw DialectError(.invalidRequest, "Invalid 'input': empty string.", param: "input") }
            let part = JSON.object([JSONMember("type", .string("input_text")), JSONMember("text", .string(text))])
            return [
                .object([
                    JSONMember("id", .string(ids.make("msg"))), JSONMember("type", .string("message")),
                    JSONMember("role", .string("user")), JSONMember("content", .array([part])),
                ])
            ]
        case .array(let items)?:
            guard !items.isEmpty else { throw DialectError(.invalidRequest, "Invalid 'input': empty array.", param: "input") }
            var out: [JSON] = []
            out.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case .object(var members) = item else { throw RequestField.invalidType("input[\(index)]", expected: "an object") }
                var type = item["type"]?.string
                if type == nil {
                    guard item["role"] != nil else {
                        throw DialectError(.invalidRequest, "Input item missing required 'type' field.", param: "input[\(index)].type")
                    }
                    type = "message"
                    members.insert(JSONMember("type", .string("message")), at: 0)
                }
                if item["id"]?.string == nil {
                    members.removeAll { $0.key == "id" }
                    members.insert(JSONMember("id", .string(ids.make(ResponsesIDs.prefix(forItemType: type ?? "")))), at: 0)
                }
                out.append(.object(members))
            }
            return out
        default:
            throw RequestField.invalidType("input", expected: "a string or an array of input items")
        }
    }

    /// `text.format`: `text` → none, `json_object` → any JSON, `json_schema` → its `schema`.
    static func format(_ value: JSON?) throws(DialectError) -> ResponseFormat? {
        guard let value else { return nil }
        guard let type = try value.stringField("type", in: "text.format") else { throw RequestField.missing("text.format.type") }
        switch type {
        case "text": return nil
        case "json_object": return .json
        case "json_schema":
            guard let schema = try value.objectField("schema", in: "text.format") else { throw RequestField.missing("text.format.schema") }
            return .schema(schema)
        default:
            throw RequestField.invalidValue("text.format.type", "expected 'text', 'json_object' or 'json_schema'.")
        }
    }
}

/// The request's values a response object repeats (wire-formats §8.4: echo what was sent, not constants).
public struct ResponsesEcho: Sendable, Equatable {
    public var instructions: String?
    public var previousResponseID: String?
    /// `tools` exactly as sent (`[]` when absent).
    public var tools: JSON
    public var toolChoice: JSON
    public var parallelToolCalls: Bool
    /// `text` as sent, or `{"format":{"type":"text"}}`.
    public var text: JSON
    public var reasoning: JSON
    public var temperature: JSON
    public var topP: JSON
    public var maxOutputTokens: Int?
    public var truncation: String
    /// Whether the response is kept for `previous_response_id` and `GET /v1/responses/{id}`.
    public var store: Bool
    public var metadata: JSON
    public var user: String?
    public var serviceTier: String?
    public var promptCacheKey: String?

    init(body: JSON, instructions: String?) throws(DialectError) {
        self.instructions = instructions
        self.previousResponseID = try body.stringField("previous_response_id")
        self.tools = body.present("tools") ?? .array([])
        self.toolChoice = body.present("tool_choice") ?? .string("auto")
        self.parallelToolCalls = try body.boolField("parallel_tool_calls") ?? true
        self.text = try body.objectField("text") ?? .object([JSONMember("format", .object([JSONMember("type", .string("text"))]))])
        let reasoning = try body.objectField("reasoning")
        self.reasoning = .object([
            JSONMember("effort", reasoning?["effort"] ?? .null), JSONMember("summary", reasoning?["summary"] ?? .null),
        ])
        self.temperature = body.present("temperature") ?? .number("1.0")
        self.topP = body.present("top_p") ?? .number("1.0")
        self.maxOutputTokens = try body.intField("max_output_tokens")
        self.truncation = try body.stringField("truncation") ?? "disabled"
        self.store = try body.boolField("store") ?? true
        if let metadata = try body.objectField("metadata") {
            guard metadata.members?.count ?? 0 <= 16 else {
                throw RequestField.invalidValue("metadata", "at most 16 key-value pairs.")
            }
            self.metadata = metadata
        } else {
            self.metadata = .object([])
        }
        self.user = try body.stringField("user")
        self.serviceTier = try body.stringField("service_tier")
        self.promptCacheKey = try body.stringField("prompt_cache_key")
    }
}

/// Ids for responses and their items: `resp_` / `msg_` / `fc_` / `rs_` + 32 random hex digits.
public struct ResponsesIDs: Sendable {
    /// Makes an id with the given prefix (without the `_`).
    public let make: @Sendable (String) -> String

    public init(make: @escaping @Sendable (String) -> String) { self.make = make }

    public static let random = ResponsesIDs { prefix in
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out = Array(prefix.utf8) + [UInt8(ascii: "_")]
        for _ in 0..<32 {
            let random: UInt8 = generator.next()
            out.append(digits[Int(random & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The prefix OpenAI uses for an item of `type`.
    static func prefix(forItemType type: String) -> String {
        switch type {
        case "message": "msg"
        case "function_call", "custom_tool_call": "fc"
        case "function_call_output", "custom_tool_call_output": "fco"
        case "reasoning": "rs"
        default: "item"
        }
    }
}
