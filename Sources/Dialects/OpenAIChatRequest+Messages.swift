/// OpenAI chat messages → Tollgate's ``ChatMessage``s.
///
/// Content arrays are merged into one message (text parts joined with `\n`, images collected), unlike
/// Ollama's OpenAI layer, which splits them into one message per part and loses a tool message's
/// `tool_call_id`. `developer` becomes `system`. An assistant's `reasoning` / `reasoning_content`
/// becomes `thinking`; its `tool_calls[].function.arguments` string becomes an ordered object.
extension OpenAIChatRequest {
    static func messages(_ elements: [JSON]) throws(DialectError) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        messages.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            messages.append(try message(element, path: "messages[\(index)]", earlier: messages))
        }
        return messages
    }

    private static func message(_ element: JSON, path: String, earlier: [ChatMessage]) throws(DialectError) -> ChatMessage {
        guard case .object = element else { throw RequestField.invalidType(path, expected: "an object") }
        guard let roleName = try element.stringField("role", in: path) else { throw RequestField.missing("\(path).role") }
        let role: ChatMessage.Role
        switch roleName.lowercased() {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        case "tool": role = .tool
        default:
            throw DialectError(
                .invalidRequest,
                "Invalid value: '\(roleName)'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.",
                param: "\(path).role"
            )
        }
        var message = ChatMessage(role: role, content: "")
        switch element["content"] {
        case nil where role == .assistant, .null? where role == .assistant:
            break
        case nil:
            throw RequestField.missing("\(path).content")
        case let content?:
            (message.content, message.images) = try Self.content(content, path: "\(path).content")
        }
        switch role {
        case .assistant:
            let reasoning = try element.stringField("reasoning", in: path)
            let reasoningContent = try element.stringField("reasoning_content", in: path)
            message.thinking = reasoning ?? reasoningContent
            message.toolCalls = try toolCalls(element.arrayField("tool_calls", in: path), path: "\(path).tool_calls")
        case .tool:
            guard let callID = try element.stringField("tool_call_id", in: path) else { throw RequestField.missing("\(path).tool_call_id") }
            message.toolCallID = callID
            let name = try element.stringField("name", in: path)
            message.toolName = name ?? toolName(answering: callID, in: earlier)
        case .system, .user:
            break
        }
        return message
    }

    /// The name of the tool whose call `id` is: the last earlier assistant call with that id.
    static func toolName(answering id: String, in earlier: [ChatMessage]) -> String? {
        for message in earlier.reversed() where message.role == .assistant {
            if let call = message.toolCalls.last(where: { $0.id == id }) { return call.name }
        }
        return nil
    }

    /// A string, or an array of parts: text (and refusal) parts joined with `\n`, images as bare base64.
    static func content(_ value: JSON, path: String) throws(DialectError) -> (text: String, images: [ChatImage]) {
        switch value {
        case .string(let text):
            return (text, [])
        case .array(let parts):
            var texts: [String] = []
            var images: [ChatImage] = []
            for (index, part) in parts.enumerated() {
                let partPath = "\(path)[\(index)]"
                guard case .object = part else { throw RequestField.invalidType(partPath, expected: "an object") }
                guard let type = try part.stringField("type", in: partPath) else { throw RequestField.missing("\(partPath).type") }
                switch type {
                case "text", "refusal":
                    guard let text = try part.stringField(type, in: partPath) else { throw RequestField.missing("\(partPath).\(type)") }
                    texts.append(text)
                case "image_url":
                    images.append(try image(part.present("image_url"), path: "\(partPath).image_url"))
                case "input_audio":
                    throw DialectError(.invalidRequest, "Audio input is not supported.", param: partPath)
                case "file":
                    throw DialectError(.invalidRequest, "File inputs are not supported.", param: partPath)
                default:
                    throw RequestField.invalidValue(
                        "\(partPath).type", "expected 'text' or 'image_url', not '\(type)'."
                    )
                }
            }
            return (texts.joined(separator: "\n"), images)
        default:
            throw RequestField.invalidType(path, expected: "a string or an array of content parts")
        }
    }

    /// The data URL prefixes Ollama's OpenAI layer accepts (compared lower-cased).
    static let imagePrefixes = [
        "data:image/jpeg;base64,", "data:image/jpg;base64,", "data:image/png;base64,", "data:image/webp;base64,", "data:;base64,",
    ]

    /// `image_url` (`{"url": …}` or the bare string) → the image as bare base64, or an `http(s)` URL kept as remote.
    static func image(_ value: JSON?, path: String) throws(DialectError) -> ChatImage {
        let url: String
        let urlPath: String
        switch value {
        case nil: throw RequestField.missing(path)
        case .string(let text)?:
            (url, urlPath) = (text, path)
        case .object?:
            guard let text = try value?.stringField("url", in: path) else { throw RequestField.missing("\(path).url") }
            (url, urlPath) = (text, "\(path).url")
        default:
            throw RequestField.invalidType(path, expected: "an object or a string")
        }
        let head = url.prefix(32).lowercased()
        if head.hasPrefix("http://") || head.hasPrefix("https://") { return .remote(url) }
        guard let prefix = imagePrefixes.first(where: { head.hasPrefix($0) }) else {
            let detail =
                head.hasPrefix("data:")
                ? "unsupported image type; send a JPEG, PNG or WebP image as a base64 data URL."
                : "expected a base64 data URL (data:image/png;base64,…)."
            throw RequestField.invalidValue(urlPath, detail)
        }
        let base64 = String(url.utf8.dropFirst(prefix.utf8.count))
        guard let base64, !base64.isEmpty else { throw RequestField.invalidValue(urlPath, "the image data is empty.") }
        return .base64(base64)
    }

    /// An assistant's `tool_calls`: each arguments string parsed into an ordered object.
    static func toolCalls(_ elements: [JSON]?, path: String) throws(DialectError) -> [ToolCall] {
        var calls: [ToolCall] = []
        for (index, element) in (elements ?? []).enumerated() {
            let callPath = "\(path)[\(index)]"
            guard case .object = element else { throw RequestField.invalidType(callPath, expected: "an object") }
            let id = try element.stringField("id", in: callPath) ?? ""
            guard let function = try element.objectField("function", in: callPath) else {
                throw RequestField.missing("\(callPath).function")
            }
            guard let name = try function.stringField("name", in: "\(callPath).function") else {
                throw RequestField.missing("\(callPath).function.name")
            }
            let arguments = try toolArguments(function.present("arguments"), path: "\(callPath).function.arguments")
            calls.append(ToolCall(id: id, name: name, arguments: arguments))
        }
        return calls
    }

    /// A JSON string holding an object (empty or blank means `{}`); an object as such is accepted too.
    static func toolArguments(_ value: JSON?, path: String) throws(DialectError) -> JSON {
        switch value {
        case nil: return .object([])
        case .object?: return value ?? .object([])
        case .string(let text)?:
            if text.allSatisfy(\.isWhitespace) { return .object([]) }
            let parsed: JSON
            do {
                parsed = try JSONParser.parse(text)
            } catch {
                throw RequestField.invalidValue(path, "the arguments are not valid JSON (\(error)).")
            }
            guard case .object = parsed else {
                throw RequestField.invalidValue(path, "expected a JSON object, got \(parsed.typeName).")
            }
            return parsed
        default:
            throw RequestField.invalidType(path, expected: "a string")
        }
    }
}
