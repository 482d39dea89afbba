/// Responses `tools` and `tool_choice` (wire-formats §8.3).
///
/// - `function`: a native function tool (`strict` dropped; no `parameters` ⇒ an empty object schema).
/// - `namespace` (Codex groups MCP tools this way): each member becomes a function named `namespace.member`;
///   calls of it are written back as `name` + `namespace`.
/// - `custom` (Codex's freeform tools, e.g. `apply_patch`): a function with one string parameter `input`, the
///   format's grammar in its description; calls are written back as `custom_tool_call` items.
/// - Tools Codex offers by default that only OpenAI runs (`web_search`, `web_search_preview`, `tool_search`,
///   `image_generation`, `local_shell`) are dropped, so Codex keeps working with its defaults: the model
///   simply never sees them.
/// - Other hosted tools (`file_search`, `computer_use_preview`, `code_interpreter`, `mcp`, …) are a 400:
///   a client that asks for them expects them to run.
enum ResponsesTools {
    static let droppedTypes: Set<String> = ["web_search", "web_search_preview", "tool_search", "image_generation", "local_shell"]

    /// Decodes `tools` (named `field` in errors) into `tools` and `kinds`, after what is there already.
    static func decode(
        _ elements: [JSON]?, field: String = "tools", into tools: inout [ToolDefinition], kinds: inout ResponsesToolKinds
    ) throws(DialectError) {
        for (index, element) in (elements ?? []).enumerated() {
            let path = "\(field)[\(index)]"
            guard case .object = element else { throw RequestField.invalidType(path, expected: "an object") }
            guard let type = try element.stringField("type", in: path) else { throw RequestField.missing("\(path).type") }
            switch type {
            case "function":
                tools.append(try function(element, path: path))
            case "namespace":
                guard let namespace = try element.stringField("name", in: path), !namespace.isEmpty else {
                    throw RequestField.missing("\(path).name")
                }
                for (memberIndex, member) in (try element.arrayField("tools", in: path) ?? []).enumerated() {
                    let memberPath = "\(path).tools[\(memberIndex)]"
                    let custom = try member.stringField("type", in: memberPath) == "custom"
                    var tool = custom ? try customTool(member, path: memberPath) : try function(member, path: memberPath)
                    kinds.namespaced[namespace + "." + tool.name] = .init(namespace: namespace, name: tool.name)
                    tool.name = namespace + "." + tool.name
                    if custom { kinds.custom.insert(tool.name) }
                    tools.append(tool)
                }
            case "custom":
                let tool = try customTool(element, path: path)
                tools.append(tool)
                kinds.custom.insert(tool.name)
            case let hosted where droppedTypes.contains(hosted):
                continue
            default:
                throw RequestField.invalidValue(
                    "\(path).type", "the hosted tool '\(type)' is not available through this gateway; only function, namespace and custom tools are."
                )
            }
        }
    }

    /// A custom (freeform) tool as a function taking one string, `input`.
    private static func customTool(_ element: JSON, path: String) throws(DialectError) -> ToolDefinition {
        guard let name = try element.stringField("name", in: path), !name.isEmpty else { throw RequestField.missing("\(path).name") }
        var description = try element.stringField("description", in: path) ?? ""
        if let definition = element["format"]?["definition"]?.string {
            let syntax = element["format"]?["syntax"]?.string ?? "grammar"
            description += "\n\nThe input must follow this \(syntax) grammar:\n\(definition)"
        }
        let schema = JSON.object([
            JSONMember("type", .string("object")),
            JSONMember("properties", .object([JSONMember("input", .object([JSONMember("type", .string("string"))]))])),
            JSONMember("required", .array([.string("input")])),
        ])
        return ToolDefinition(name: name, description: description.isEmpty ? nil : description, parameters: schema)
    }

    private static func function(_ element: JSON, path: String) throws(DialectError) -> ToolDefinition {
        guard let name = try element.stringField("name", in: path), !name.isEmpty else { throw RequestField.missing("\(path).name") }
        let description = try element.stringField("description", in: path)
        let parameters = try element.objectField("parameters", in: path) ?? OpenAIChatRequest.emptySchema
        return ToolDefinition(name: name, description: description, parameters: parameters)
    }

    /// `none` drops the tools; `{type:"function",name}` or `{type:"allowed_tools",tools:[…]}` keeps only those
    /// (all of them when none match); `auto`, `required` and hosted-tool choices keep them all.
    static func chosen(_ tools: [ToolDefinition], choice: JSON?) throws(DialectError) -> [ToolDefinition] {
        guard let choice else { return tools }
        switch choice {
        case .string("none"): return []
        case .string("auto"), .string("required"): return tools
        case .string:
            throw RequestField.invalidValue("tool_choice", "expected 'none', 'auto', 'required' or an object.")
        case .object:
            var names: [String] = []
            if let name = choice["name"]?.string { names.append(name) }
            for allowed in choice["tools"]?.array ?? [] {
                if let name = allowed["name"]?.string { names.append(name) }
            }
            let chosen = tools.filter { names.contains($0.name) }
            return chosen.isEmpty ? tools : chosen
        default:
            throw RequestField.invalidType("tool_choice", expected: "a string or an object")
        }
    }
}

/// Which offered tools are not plain functions, so their calls are written back in the right shape.
public struct ResponsesToolKinds: Sendable, Equatable {
    /// Names of `custom` tools: their calls are `custom_tool_call` items with the `input` string.
    public var custom: Set<String> = []
    /// `namespace.member` → its namespace and member name, for calls of namespaced functions.
    var namespaced: [String: Namespaced] = [:]

    struct Namespaced: Sendable, Equatable {
        var namespace: String
        var name: String
    }

    public init() {}
}
