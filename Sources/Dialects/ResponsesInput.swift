/// Responses input items → Tollgate's ``ChatMessage``s (wire-formats §8.2).
///
/// - `message`: `developer` becomes `system`; text parts (`input_text`, `output_text`, `refusal`) are joined
///   with `\n`; `input_image` data URLs become images (http(s) URLs remote ones); `input_file` and `file_id` images are refused.
/// - `function_call` / `custom_tool_call`: a tool call on the preceding assistant message, or a new one;
///   `arguments` is parsed into an ordered object (blank ⇒ `{}`); a custom call's `input` becomes `{"input":…}`;
///   a `namespace` makes the name `namespace.name`.
/// - `function_call_output` / `custom_tool_call_output`: a `tool` message, whose tool name is found from the
///   earlier call with the same `call_id`.
/// - `reasoning`: thinking for the next assistant message (Tollgate's own `encrypted_content`, else
///   `content`, else `summary`); a trailing one becomes a thinking-only assistant message.
/// - Items only OpenAI's hosted tools produce (`web_search_call`, `compaction`, `mcp_*`, …) are dropped: Codex
///   replays them in its history and the model can do nothing with them. Any other type is a 400.
enum ResponsesInput {
    /// The item types dropped on the way in (`additional_tools`, newer Codex's way of offering tools, is read
    /// by ``ResponsesRequest`` as tools).
    static let droppedTypes: Set<String> = [
        "additional_tools",
        "web_search_call", "file_search_call", "computer_call", "computer_call_output", "image_generation_call",
        "code_interpreter_call", "local_shell_call", "local_shell_call_output", "mcp_list_tools", "mcp_approval_request",
        "mcp_approval_response", "mcp_call", "compaction", "tool_search_call", "tool_search_output",
    ]

    /// The prefix of the `encrypted_content` Tollgate writes: the thinking follows in plain text.
    static let thinkingPrefix = "tollgate:"

    static func messages(_ items: [JSON], path: String, earlier: [ChatMessage] = []) throws(DialectError) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var all = earlier
        var pendingThinking: String?
        func append(_ message: ChatMessage) {
            messages.append(message)
            all.append(message)
        }
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let type = try item.stringField("type", in: itemPath) ?? "message"
            switch type {
            case "message":
                var message = try Self.message(item, path: itemPath)
                if message.role == .assistant, let thinking = pendingThinking {
                    message.thinking = thinking
                    pendingThinking = nil
                }
                append(message)
            case "function_call", "custom_tool_call":
                let call = try toolCall(item, custom: type == "custom_tool_call", path: itemPath)
                if let last = messages.last, last.role == .assistant, pendingThinking == nil {
                    messages[messages.count - 1].toolCalls.append(call)
                    all[all.count - 1].toolCalls.append(call)
                } else {
                    append(ChatMessage(role: .assistant, content: "", thinking: pendingThinking, toolCalls: [call]))
                    pendingThinking = nil
                }
            case "function_call_output", "custom_tool_call_output":
                guard let callID = try item.stringField("call_id", in: itemPath) else { throw RequestField.missing("\(itemPath).call_id") }
                let (text, images) = try output(item.present("output"), path: "\(itemPath).output")
                append(
                    ChatMessage(
                        role: .tool, content: text, images: images,
                        toolName: OpenAIChatRequest.toolName(answering: callID, in: all), toolCallID: callID
                    )
                )
            case "reasoning":
                let thinking = try Self.thinking(item, path: itemPath)
                if !thinking.isEmpty { pendingThinking = (pendingThinking.map { $0 + "\n" } ?? "") + thinking }
            case "item_reference":
                throw RequestField.invalidValue("\(itemPath).type", "item references are not supported; send the item itself.")
            case let other where droppedTypes.contains(other):
                continue
            default:
                throw RequestField.invalidValue("\(itemPath).type", "unknown input item type '\(type)'.")
            }
        }
        if let thinking = pendingThinking { append(ChatMessage(role: .assistant, content: "", thinking: thinking)) }
        return messages
    }

    private static func message(_ item: JSON, path: String) throws(DialectError) -> ChatMessage {
        guard let roleName = try item.stringField("role", in: path) else { throw RequestField.missing("\(path).role") }
        let role: ChatMessage.Role
        switch roleName {
        case "user": role = .user
        case "assistant": role = .assistant
        case "system", "developer": role = .system
        default:
            throw RequestField.invalidValue("\(path).role", "expected 'user', 'assistant', 'system' or 'developer'.")
        }
        let (text, images) = try content(item.present("content"), path: "\(path).content")
        return ChatMessage(role: role, content: text, images: images)
    }

    /// A message's content: a string, or parts whose texts are joined with `\n` and whose images are collected.
    static func content(_ value: JSON?, path: String) throws(DialectError) -> (String, [ChatImage]) {
        switch value {
        case nil: throw RequestField.missing(path)
        case .string(let text)?: return (text, [])
        case .array(let parts)?:
            var texts: [String] = []
            var images: [ChatImage] = []
            for (index, part) in parts.enumerated() {
                let partPath = "\(path)[\(index)]"
                guard case .object = part else { throw RequestField.invalidType(partPath, expected: "an object") }
                guard let type = try part.stringField("type", in: partPath) else { throw RequestField.missing("\(partPath).type") }
                switch type {
                case "input_text", "output_text", "text", "summary_text", "reasoning_text":
                    guard let text = try part.stringField("text", in: partPath) else { throw RequestField.missing("\(partPath).text") }
                    texts.append(text)
                case "refusal":
                    guard let text = try part.stringField("refusal", in: partPath) else { throw RequestField.missing("\(partPath).refusal") }
                    texts.append(text)
                case "input_image":
                    guard let url = try part.stringField("image_url", in: partPath) else {
                        if part.present("file_id") != nil {
                            throw RequestField.invalidValue("\(partPath).file_id", "file ids are not supported; send the image as a data URL.")
                        }
                        throw RequestField.missing("\(partPath).image_url")
                    }
                    images.append(try OpenAIChatRequest.image(.string(url), path: "\(partPath).image_url"))
                case "input_file":
                    throw DialectError(.invalidRequest, "File inputs are not supported.", param: partPath)
                default:
                    throw RequestField.invalidValue("\(partPath).type", "unknown content type '\(type)'.")
                }
            }
            return (texts.joined(separator: "\n"), images)
        default:
            throw RequestField.invalidType(path, expected: "a string or an array of content parts")
        }
    }

    /// A tool's result: a string, or parts (texts joined, images collected).
    private static func output(_ value: JSON?, path: String) throws(DialectError) -> (String, [ChatImage]) {
        switch value {
        case nil: return ("", [])
        case .string(let text)?: return (text, [])
        case .array?: return try content(value, path: path)
        default: throw RequestField.invalidType(path, expected: "a string or an array of content parts")
        }
    }

    private static func toolCall(_ item: JSON, custom: Bool, path: String) throws(DialectError) -> ToolCall {
        guard let callID = try item.stringField("call_id", in: path) else { throw RequestField.missing("\(path).call_id") }
        guard var name = try item.stringField("name", in: path), !name.isEmpty else { throw RequestField.missing("\(path).name") }
        if let namespace = try item.stringField("namespace", in: path), !namespace.isEmpty { name = "\(namespace).\(name)" }
        let arguments: JSON
        if custom {
            arguments = .object([JSONMember("input", .string(try item.stringField("input", in: path) ?? ""))])
        } else {
            arguments = try OpenAIChatRequest.toolArguments(item.present("arguments"), path: "\(path).arguments")
        }
        return ToolCall(id: callID, name: name, arguments: arguments)
    }

    /// A reasoning item's text: Tollgate's own `encrypted_content`, else its `content`, else its `summary`.
    private static func thinking(_ item: JSON, path: String) throws(DialectError) -> String {
        if let sealed = try item.stringField("encrypted_content", in: path), sealed.hasPrefix(thinkingPrefix) {
            return String(sealed.dropFirst(thinkingPrefix.count))
        }
        for key in ["content", "summary"] {
            guard let parts = try item.arrayField(key, in: path), !parts.isEmpty else { continue }
            return try content(.array(parts), path: "\(path).\(key)").0
        }
        return ""
    }
}
