/// Anthropic's `POST /v1/messages` body, validated and mapped to Tollgate's ``ChatRequest``.
///
/// The body is parsed with ``JSONParser`` so tool schemas and `tool_use` inputs keep their member order
/// and number text. Every refusal is a 400 ``DialectError`` whose `param` names the field at fault
/// (`messages[2].content[0].source`), worded like Anthropic's and Ollama's own messages.
///
/// Mapping (wire-formats §4.1, §4.2, §5):
/// - `model` (required), `max_tokens` (required, positive) → `options.maxTokens`; `temperature`, `top_p`,
///   `top_k`, `stop_sequences` only when present (no forced defaults); `stream` absent ⇒ false.
/// - `system` string, or text blocks joined with `"\n"`; blocks starting with `x-anthropic-billing-header:`
///   are dropped (Claude Code's per-request line would defeat Ollama's prompt cache, §5.5). A `system`-role
///   message or a `mid_conv_system` block becomes a native `system` message at that point of the conversation.
/// - `tools`: custom tools (no `type`, or `type: "custom"`) → ``ToolDefinition`` with `input_schema` untouched.
///   Anthropic-defined and server tools (`web_search_*`, `web_fetch_*`, `bash_*`, `text_editor_*`, `computer_*`,
///   `code_execution_*`, `memory_*`, `mcp_toolset`…) are dropped: their schemas live on Anthropic's side and
///   Ollama cannot run them. `tool_choice` `none` drops every tool; `tool` keeps only the named tool (all of them
///   when that name is unknown); `auto`/`any` keep all (Ollama has no forcing, §5.12).
/// - `thinking` `enabled` → think on, `disabled` → off, `adaptive` → Ollama's default; otherwise
///   `output_config.effort` `low`/`medium`/`high` → that level, `max`/`xhigh` → `high`.
/// - `output_config.format` (or the older `output_format`) `{"type":"json_schema","schema":{…}}` → a schema format.
/// - `metadata.user_id` → ``ChatRequest/endUser``.
/// - Content blocks: see ``AnthropicConversation``. Other `metadata`, `service_tier`, `container`, `context_management`,
///   `cache_control` and unknown fields are ignored.
public struct AnthropicMessagesRequest: Sendable, Equatable {
    /// The request in Tollgate's terms.
    public var chat: ChatRequest

    /// Whether the client asked for server-sent events (`stream: true`); absent means a whole JSON answer.
    public var stream: Bool { chat.stream }

    /// The estimate of the prompt's tokens that `message_start` reports before Ollama counts them.
    public var estimatedInputTokens: Int { Self.estimateInputTokens(chat) }

    /// Decodes the raw request body.
    public init(body: some Collection<UInt8>) throws(DialectError) {
        try self.init(json: AnthropicFields.parse(body))
    }

    /// Maps an already parsed body.
    public init(json: JSON) throws(DialectError) {
        let fields = try AnthropicFields(json)
        guard let maxTokens = json["max_tokens"]?.int, maxTokens > 0 else {
            throw DialectError(.invalidRequest, "max_tokens is required and must be positive", param: "max_tokens")
        }
        var options = GenerationOptions(maxTokens: maxTokens)
        options.temperature = try fields.number("temperature")
        options.topP = try fields.number("top_p")
        options.topK = try fields.integer("top_k")
        options.stop = try fields.stopSequences()
        chat = ChatRequest(
            model: fields.model,
            messages: try fields.messages(),
            stream: try fields.flag("stream") ?? false,
            options: options,
            tools: try fields.tools(),
            format: fields.format(),
            think: fields.think()
        )
        chat.endUser = try fields.endUser()
    }

    /// An honest guess at the prompt's size in tokens; see ``AnthropicTokenEstimate``.
    public static func estimateInputTokens(_ request: ChatRequest) -> Int {
        AnthropicTokenEstimate.inputTokens(request)
    }
}

/// Reads the fields `/v1/messages` and `/v1/messages/count_tokens` share, with Anthropic-worded 400s.
struct AnthropicFields {
    let json: JSON
    let model: String

    /// Parses a request body, refusing anything but a JSON object.
    static func parse(_ body: some Collection<UInt8>) throws(DialectError) -> JSON {
        guard !body.isEmpty else { throw DialectError(.invalidRequest, "missing request body") }
        let json: JSON
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw DialectError(.invalidRequest, "The request body is not valid JSON: \(error)")
        }
        return json
    }

    init(_ json: JSON) throws(DialectError) {
        guard json.members != nil else {
            throw DialectError(.invalidRequest, "The request body must be a JSON object.")
        }
        guard let model = json["model"]?.string, !model.isEmpty else {
            throw DialectError(.invalidRequest, "model is required", param: "model")
        }
        self.json = json
        self.model = model
    }

    /// The member `key`, treating `null` as absent (clients often send `null` for "not set").
    func present(_ key: String) -> JSON? {
        guard let value = json[key], !value.isNull else { return nil }
        return value
    }

    func number(_ key: String) throws(DialectError) -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.double else {
            throw DialectError(.invalidRequest, "\(key) must be a number", param: key)
        }
        return number
    }

    func integer(_ key: String) throws(DialectError) -> Int? {
        guard let value = present(key) else { return nil }
        guard let number = value.int else {
            throw DialectError(.invalidRequest, "\(key) must be an integer", param: key)
        }
        return number
    }

    /// `metadata.user_id`: the end user, when the body names one.
    func endUser() throws(DialectError) -> String? {
        guard let metadata = present("metadata") else { return nil }
        guard case .object = metadata else { throw DialectError(.invalidRequest, "metadata: Input should be an object", param: "metadata") }
        guard let value = metadata.present("user_id") else { return nil }
        guard let id = value.string else {
            throw DialectError(.invalidRequest, "metadata.user_id: Input should be a valid string", param: "metadata.user_id")
        }
        return id
    }

    func flag(_ key: String) throws(DialectError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard let flag = value.bool else {
            throw DialectError(.invalidRequest, "\(key) must be a boolean", param: key)
        }
        return flag
    }

    /// `stop_sequences`: an array of strings; empty means none.
    func stopSequences() throws(DialectError) -> [String]? {
        guard let value = present("stop_sequences") else { return nil }
        guard let elements = value.array else {
            throw DialectError(.invalidRequest, "stop_sequences must be an array of strings", param: "stop_sequences")
        }
        var sequences: [String] = []
        for (index, element) in elements.enumerated() {
            guard let text = element.string else {
                throw DialectError(.invalidRequest, "stop_sequences must be an array of strings", param: "stop_sequences[\(index)]")
            }
            sequences.append(text)
        }
        return sequences.isEmpty ? nil : sequences
    }

    /// The top-level `system` prompt followed by the conversation, in native order.
    func messages() throws(DialectError) -> [ChatMessage] {
        var conversation = AnthropicConversation()
        if let system = present("system") {
            conversation.appendSystem(try AnthropicConversation.systemText(system, path: "system"))
        }
        guard let messages = present("messages") else {
            throw DialectError(.invalidRequest, "messages is required", param: "messages")
        }
        guard let elements = messages.array else {
            throw DialectError(.invalidRequest, "messages must be an array", param: "messages")
        }
        guard !elements.isEmpty else {
            throw DialectError(.invalidRequest, "messages is required", param: "messages")
        }
        for (index, message) in elements.enumerated() {
            try conversation.append(message, path: "messages[\(index)]")
        }
        return conversation.messages
    }

    /// Custom tools, narrowed by `tool_choice`.
    func tools() throws(DialectError) -> [ToolDefinition] {
        guard let value = present("tools") else { return [] }
        guard let elements = value.array else {
            throw DialectError(.invalidRequest, "tools must be an array", param: "tools")
        }
        var tools: [ToolDefinition] = []
        for (index, tool) in elements.enumerated() {
            let path = "tools[\(index)]"
            guard tool.members != nil else {
                throw DialectError(.invalidRequest, "\(path) must be an object", param: path)
            }
            // Anthropic-defined and server tools carry a versioned `type`; Ollama can run none of them.
            if let type = tool["type"]?.string, type != "custom" { continue }
            guard let name = tool["name"]?.string, !name.isEmpty else {
                throw DialectError(.invalidRequest, "\(path).name is required", param: "\(path).name")
            }
            guard let schema = tool["input_schema"], schema.members != nil else {
                throw DialectError(
                    .invalidRequest, "invalid input_schema for tool \"\(name)\": expected a JSON object",
                    param: "\(path).input_schema"
                )
            }
            let description = tool["description"]?.string
            tools.append(ToolDefinition(name: name, description: description, parameters: schema))
        }
        guard let choice = present("tool_choice") else { return tools }
        switch choice["type"]?.string {
        case "none":
            return []
        case "tool":
            guard let name = choice["name"]?.string else { return tools }
            let named = tools.filter { $0.name == name }
            return named.isEmpty ? tools : named
        default:
            return tools
        }
    }

    /// `thinking` decides first; `output_config.effort` only when it did not.
    func think() -> Think? {
        switch present("thinking")?["type"]?.string {
        case "enabled": return .enabled(true)
        case "disabled": return .enabled(false)
        default: break
        }
        switch present("output_config")?["effort"]?.string {
        case let level? where ["low", "medium", "high"].contains(level): return .level(level)
        case "max", "xhigh": return .level("high")
        default: return nil
        }
    }

    /// A JSON-schema output format, from `output_config.format` or the older top-level `output_format`.
    func format() -> ResponseFormat? {
        let format = present("output_config")?["format"] ?? present("output_format")
        guard let format, format["type"]?.string == "json_schema", let schema = format["schema"], schema.members != nil else {
            return nil
        }
        return .schema(schema)
    }
}
