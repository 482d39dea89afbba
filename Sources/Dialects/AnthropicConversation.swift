/// Turns Anthropic messages and their content blocks into native chat messages, in native order.
///
/// Per message (a string `content` is one text block):
/// - `text` blocks are joined with `"\n"`. Ollama glues them with nothing, which merges the last word of one
///   block with the first of the next (Claude Code sends a `<system-reminder>` block before the prompt); one
///   newline keeps them apart without inventing paragraph structure, and is deterministic so prompts stay cacheable.
/// - `image` with a `base64` source → `images` (the data is already bare base64; a stray `data:…;base64,` prefix is
///   removed). A `url` source with an `http(s)` URL → a remote image the gateway fetches (under its address
///   policy) before the call goes upstream. Any other source type is a 400, a missing source too.
/// - `tool_use` → the turn's tool calls (`id` and `name` required, `input` kept as the ordered object, absent ⇒ `{}`).
/// - `tool_result` → a separate native `tool` message with `toolCallID` = `tool_use_id` and `toolName` looked up from
///   earlier `tool_use` blocks (templates key on it; Ollama leaves it empty). Its `content` may be a string, text and
///   image blocks (texts joined with `"\n"`), or absent (""). `is_error: true` prefixes the text with `Error: ` so the
///   model knows the call failed (Ollama drops the flag). In a user turn the tool messages come *before* the user's
///   own text, as native templates expect: assistant tool calls → tool results → user text (§5.8).
/// - `thinking` → the turn's `thinking` (several blocks joined with `"\n"`; Ollama keeps only the last); signatures
///   are dropped.
/// - `mid_conv_system` → a native `system` message after the turn's own messages (the API only accepts these blocks
///   at the end of a turn).
/// - `redacted_thinking`, `document`, `search_result`, `server_tool_use`, `*_tool_result` and unknown types are
///   dropped: Ollama has no way to show them to the model.
///
/// A turn yields its own native message only when it has text, images, tool calls or thinking.
struct AnthropicConversation {
    private(set) var messages: [ChatMessage] = []
    /// Tool names by `tool_use` id, from the turns seen so far.
    private var toolNames: [String: String] = [:]

    /// The text of a `system` value: a string, or text blocks joined with `"\n"` minus Claude Code's billing line.
    static func systemText(_ value: JSON, path: String) throws(DialectError) -> String {
        if let text = value.string { return text }
        guard let blocks = value.array else {
            throw DialectError(.invalidRequest, "\(path) must be a string or an array of text blocks", param: path)
        }
        var texts: [String] = []
        for block in blocks where block["type"]?.string == "text" {
            guard let text = block["text"]?.string, !text.hasPrefix(billingHeaderPrefix) else { continue }
            texts.append(text)
        }
        return texts.joined(separator: "\n")
    }

    /// Claude Code's first system block; it changes on every request (§5.5).
    static let billingHeaderPrefix = "x-anthropic-billing-header:"

    mutating func appendSystem(_ text: String) {
        guard !text.isEmpty else { return }
        messages.append(ChatMessage(role: .system, content: text))
    }

    mutating func append(_ message: JSON, path: String) throws(DialectError) {
        guard message.members != nil else {
            throw DialectError(.invalidRequest, "\(path) must be an object", param: path)
        }
        guard let role = message["role"]?.string else {
            throw DialectError(.invalidRequest, "\(path).role is required", param: "\(path).role")
        }
        guard let content = message["content"], !content.isNull else {
            throw DialectError(.invalidRequest, "\(path).content is required", param: "\(path).content")
        }
        switch role {
        case "system":
            appendSystem(try Self.systemText(content, path: "\(path).content"))
        case "user":
            try appendTurn(.user, content: content, path: "\(path).content")
        case "assistant":
            try appendTurn(.assistant, content: content, path: "\(path).content")
        default:
            throw DialectError(
                .invalidRequest, "\(path).role must be one of user, assistant or system", param: "\(path).role"
            )
        }
    }

    private mutating func appendTurn(_ role: ChatMessage.Role, content: JSON, path: String) throws(DialectError) {
        var turn = Turn()
        if let text = content.string {
            turn.texts.append(text)
        } else if let blocks = content.array {
            for (index, block) in blocks.enumerated() {
                try add(block, to: &turn, path: "\(path)[\(index)]")
            }
        } else {
            throw DialectError(.invalidRequest, "\(path) must be a string or an array of content blocks", param: path)
        }

        let text = turn.texts.joined(separator: "\n")
        let thinking = turn.thinking.isEmpty ? nil : turn.thinking.joined(separator: "\n")
        var own: ChatMessage?
        if !text.isEmpty || !turn.images.isEmpty || !turn.toolCalls.isEmpty || thinking != nil {
            own = ChatMessage(role: role, content: text, thinking: thinking, images: turn.images, toolCalls: turn.toolCalls)
        }
        if role == .user {
            messages += turn.toolResults
            if let own { messages.append(own) }
        } else {
            if let own { messages.append(own) }
            messages += turn.toolResults
        }
        for system in turn.systems { appendSystem(system) }
    }

    /// What one turn's blocks add up to.
    private struct Turn {
        var texts: [String] = []
        var images: [ChatImage] = []
        var toolCalls: [ToolCall] = []
        var thinking: [String] = []
        var toolResults: [ChatMessage] = []
        var systems: [String] = []
    }

    private mutating func add(_ block: JSON, to turn: inout Turn, path: String) throws(DialectError) {
        guard block.members != nil else {
            throw DialectError(.invalidRequest, "\(path) must be a content block object", param: path)
        }
        guard let type = block["type"]?.string else {
            throw DialectError(.invalidRequest, "\(path).type is required", param: "\(path).type")
        }
        switch type {
        case "text":
            turn.texts.append(try Self.text(of: block, path: path))
        case "image":
            turn.images.append(try Self.image(block, path: path))
        case "tool_use":
            let call = try Self.toolCall(block, path: path)
            toolNames[call.id] = call.name
            turn.toolCalls.append(call)
        case "tool_result":
            turn.toolResults.append(try toolResult(block, path: path))
        case "thinking":
            if let thinking = block["thinking"]?.string, !thinking.isEmpty { turn.thinking.append(thinking) }
        case "mid_conv_system":
            if let content = block["content"], !content.isNull {
                turn.systems.append(try Self.systemText(content, path: "\(path).content"))
            }
        default:
            // redacted_thinking, document, search_result, server tool blocks, future types.
            break
        }
    }

    private static func text(of block: JSON, path: String) throws(DialectError) -> String {
        guard let text = block["text"]?.string else {
            throw DialectError(.invalidRequest, "\(path).text must be a string", param: "\(path).text")
        }
        return text
    }

    private static func image(_ block: JSON, path: String) throws(DialectError) -> ChatImage {
        guard let source = block["source"], source.members != nil else {
            throw DialectError(.invalidRequest, "image source is required", param: "\(path).source")
        }
        let type = source["type"]?.string ?? ""
        if type == "url" {
            guard let url = source["url"]?.string, !url.isEmpty else {
                throw DialectError(.invalidRequest, "image source url is required", param: "\(path).source.url")
            }
            let head = url.prefix(8).lowercased()
            guard head.hasPrefix("http://") || head.hasPrefix("https://") else {
                throw DialectError(.invalidRequest, "image source url must be an http or https URL", param: "\(path).source.url")
            }
            return .remote(url)
        }
        guard type == "base64" else {
            throw DialectError(
                .invalidRequest, "invalid image source type: \(type). Only base64 and url images are supported.",
                param: "\(path).source.type"
            )
        }
        guard let data = source["data"]?.string, !data.isEmpty else {
            throw DialectError(.invalidRequest, "image source data is required", param: "\(path).source.data")
        }
        // Tolerate a data URL where bare base64 belongs; Ollama refuses the prefix.
        if data.hasPrefix("data:"), let comma = data.firstIndex(of: ",") {
            return .base64(String(data[data.index(after: comma)...]))
        }
        return .base64(data)
    }

    private static func toolCall(_ block: JSON, path: String) throws(DialectError) -> ToolCall {
        guard let id = block["id"]?.string, !id.isEmpty else {
            throw DialectError(.invalidRequest, "tool_use block requires an id", param: "\(path).id")
        }
        guard let name = block["name"]?.string, !name.isEmpty else {
            throw DialectError(.invalidRequest, "tool_use block requires a name", param: "\(path).name")
        }
        let input = block["input"].flatMap { $0.isNull ? nil : $0 } ?? .object([])
        guard input.members != nil else {
            throw DialectError(.invalidRequest, "tool_use input must be an object", param: "\(path).input")
        }
        return ToolCall(id: id, name: name, arguments: input)
    }

    private func toolResult(_ block: JSON, path: String) throws(DialectError) -> ChatMessage {
        guard let id = block["tool_use_id"]?.string, !id.isEmpty else {
            throw DialectError(.invalidRequest, "tool_result block requires a tool_use_id", param: "\(path).tool_use_id")
        }
        var texts: [String] = []
        var images: [ChatImage] = []
        switch block["content"] {
        case nil, .null?:
            break
        case .string(let text)?:
            texts.append(text)
        case .array(let blocks)?:
            for (index, inner) in blocks.enumerated() {
                let innerPath = "\(path).content[\(index)]"
                switch inner["type"]?.string {
                case "text": texts.append(try Self.text(of: inner, path: innerPath))
                case "image": images.append(try Self.image(inner, path: innerPath))
                default: break  // document, search_result, tool_reference…
                }
            }
        default:
            throw DialectError(
                .invalidRequest, "tool_result content must be a string or an array of content blocks",
                param: "\(path).content"
            )
        }
        var content = texts.joined(separator: "\n")
        if block["is_error"]?.bool == true {
            content = content.isEmpty ? "Error" : "Error: \(content)"
        }
        return ChatMessage(role: .tool, content: content, images: images, toolName: toolNames[id], toolCallID: id)
    }
}
