/// OpenAI's `POST /v1/chat/completions` request, read from the ordered JSON and checked field by field.
///
/// Every refusal is a 400 ``DialectError`` whose `param` names the field (`messages[2].content`) and whose
/// message says what was expected, never what was sent. Unknown fields, and known ones Ollama has no use
/// for (`parallel_tool_calls`, `logit_bias`, `store`, `metadata`…), are ignored; `user` names the end user
/// (``ChatRequest/endUser``). `logprobs` and `top_logprobs` pass through to Ollama, which returns them in
/// the same entry shape.
///
/// Sampling: an absent `temperature` or `top_p` stays unset, so the model's Modelfile defaults apply.
/// (Ollama's own OpenAI layer forces both to 1.0 when absent, overriding the Modelfile's tuning.)
///
/// ```swift
/// let openAI = try OpenAIChatRequest(json: bodyBytes)   // throws(DialectError)
/// let native = OllamaChatRequest(openAI.chat, ollamaModel: "qwen3:8b").json()
/// ```
public struct OpenAIChatRequest: Sendable, Equatable {
    /// The request in Tollgate's terms.
    public var chat: ChatRequest
    /// `stream_options.include_usage`: a streamed answer ends with a usage chunk.
    public var includeUsage: Bool

    /// Parses and checks a request body.
    public init(json bytes: some Collection<UInt8>) throws(DialectError) {
        try self.init(body: RequestField.body(bytes))
    }

    /// Checks an already parsed request body.
    public init(body: JSON) throws(DialectError) {
        guard case .object = body else { throw DialectError(.invalidRequest, "The request body must be a JSON object.") }
        guard let model = try body.stringField("model"), !model.isEmpty else {
            throw DialectError(.invalidRequest, "You must provide a model parameter.", param: "model")
        }
        guard let rawMessages = try body.arrayField("messages") else { throw RequestField.missing("messages") }
        guard !rawMessages.isEmpty else {
            throw DialectError(
                .invalidRequest, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                param: "messages"
            )
        }
        if let n = try body.intField("n"), n != 1 {
            throw DialectError(.invalidRequest, "Only n=1 is supported: Tollgate returns one choice per request.", param: "n")
        }
        let maxTokens = try body.tokenLimitField("max_tokens")
        let maxCompletionTokens = try body.tokenLimitField("max_completion_tokens")
        let options = GenerationOptions(
            maxTokens: maxCompletionTokens ?? maxTokens,
            temperature: try body.doubleField("temperature"),
            topP: try body.doubleField("top_p"),
            topK: try body.intField("top_k"),
            seed: try body.intField("seed"),
            stop: try body.stopField(),
            frequencyPenalty: try body.doubleField("frequency_penalty"),
            presencePenalty: try body.doubleField("presence_penalty")
        )
        let stream = try body.boolField("stream") ?? false
        let streamOptions = try body.objectField("stream_options")
        self.includeUsage = try streamOptions?.boolField("include_usage", in: "stream_options") ?? false
        self.chat = ChatRequest(
            model: model,
            messages: try Self.messages(rawMessages),
            stream: stream,
            options: options,
            tools: try Self.chosenTools(Self.tools(body.arrayField("tools")), choice: body.present("tool_choice")),
            format: try Self.responseFormat(body.present("response_format")),
            think: try Self.think(body),
            logprobs: try Self.logprobs(body)
        )
        self.chat.endUser = try body.stringField("user")
    }

    /// The request in Tollgate's terms (the same as ``chat``).
    public func chatRequest() -> ChatRequest { chat }
}

// MARK: - Tools, formats, reasoning

extension OpenAIChatRequest {
    /// `tools`: function tools only; `parameters` kept exactly as written.
    static func tools(_ elements: [JSON]?) throws(DialectError) -> [ToolDefinition] {
        var tools: [ToolDefinition] = []
        for (index, element) in (elements ?? []).enumerated() {
            let path = "tools[\(index)]"
            guard case .object = element else { throw RequestField.invalidType(path, expected: "an object") }
            let type = try element.stringField("type", in: path) ?? "function"
            guard type == "function" else {
                throw RequestField.invalidValue("\(path).type", "only 'function' tools are supported, not '\(type)'.")
            }
            guard let function = try element.objectField("function", in: path) else { throw RequestField.missing("\(path).function") }
            guard let name = try function.stringField("name", in: "\(path).function"), !name.isEmpty else {
                throw RequestField.missing("\(path).function.name")
            }
            let description = try function.stringField("description", in: "\(path).function")
            let parameters = try function.objectField("parameters", in: "\(path).function") ?? emptySchema
            tools.append(ToolDefinition(name: name, description: description, parameters: parameters))
        }
        return tools
    }

    /// The schema of a function without parameters.
    static let emptySchema = JSON.object([JSONMember("type", .string("object")), JSONMember("properties", .object([]))])

    /// `tool_choice` has no native equivalent: `none` drops the tools, a named function (or `allowed_tools`)
    /// keeps only those tools when they exist, `auto`/`required` keep them all. Never a 400 for a valid value.
    static func chosenTools(_ tools: [ToolDefinition], choice: JSON?) throws(DialectError) -> [ToolDefinition] {
        guard let choice else { return tools }
        switch choice {
        case .string("none"): return []
        case .string("auto"), .string("required"): return tools
        case .string:
            throw RequestField.invalidValue("tool_choice", "expected 'none', 'auto', 'required' or a named function.")
        case .object:
            var names: [String] = []
            if let name = choice["function"]?["name"]?.string { names.append(name) }
            for allowed in choice["allowed_tools"]?["tools"]?.array ?? [] {
                if let name = allowed["function"]?["name"]?.string ?? allowed["name"]?.string { names.append(name) }
            }
            let chosen = tools.filter { names.contains($0.name) }
            return chosen.isEmpty ? tools : chosen
        default:
            throw RequestField.invalidType("tool_choice", expected: "a string or an object")
        }
    }

    /// `response_format`: `text` → none, `json_object` → JSON, `json_schema` → its `schema` (none when missing).
    static func responseFormat(_ value: JSON?) throws(DialectError) -> ResponseFormat? {
        guard let value else { return nil }
        guard case .object = value else { throw RequestField.invalidType("response_format", expected: "an object") }
        guard let type = try value.stringField("type", in: "response_format") else { throw RequestField.missing("response_format.type") }
        switch type.trimmed.lowercased() {
        case "text": return nil
        case "json_object": return .json
        case "json_schema":
            guard let schema = value["json_schema"]?["schema"], case .object = schema else { return nil }
            return .schema(schema)
        default:
            throw RequestField.invalidValue("response_format.type", "expected 'text', 'json_object' or 'json_schema'.")
        }
    }

    /// `logprobs` (a boolean) and `top_logprobs` (0…20, only with `logprobs: true`), as OpenAI checks them.
    static func logprobs(_ body: JSON) throws(DialectError) -> Int? {
        let wanted = try body.boolField("logprobs") ?? false
        let top = try body.intField("top_logprobs")
        if let top {
            guard (0...TokenLogprob.maxTop).contains(top) else {
                throw RequestField.invalidValue("top_logprobs", "expected an integer from 0 to \(TokenLogprob.maxTop).")
            }
            guard wanted else {
                throw DialectError(.invalidRequest, "'top_logprobs' is only allowed when 'logprobs' is true.", param: "top_logprobs")
            }
        }
        return wanted ? top ?? 0 : nil
    }

    /// `reasoning.effort` (wins) or `reasoning_effort` → Ollama's `think`: `none` → false, `minimal` → low,
    /// low/medium/high as they are, `xhigh`/`max` → high (the levels Tollgate sends are low, medium, high).
    static func think(_ body: JSON) throws(DialectError) -> Think? {
        let reasoning = try body.objectField("reasoning")
        let nested = try reasoning?.stringField("effort", in: "reasoning")
        let flat = try body.stringField("reasoning_effort")
        guard let effort = nested ?? flat else { return nil }
        let param = nested != nil ? "reasoning.effort" : "reasoning_effort"
        switch effort.lowercased() {
        case "none": return .enabled(false)
        case "minimal", "low": return .level("low")
        case "medium": return .level("medium")
        case "high", "xhigh", "max": return .level("high")
        default:
            throw DialectError(
                .invalidRequest,
                "Invalid value for '\(param)': expected one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'.",
                param: param
            )
        }
    }
}

extension String {
    /// Without leading and trailing whitespace.
    var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
