/// Native `message.tool_calls`: `[{"id"?, "function": {"index", "name", "arguments": {…}}}]`.
enum NativeToolCalls {
    /// The calls in `bytes`, arguments in their written order. Elements without a function name are skipped;
    /// arguments that are absent (or not an object) become `{}`; a missing id is left `""` for the decoder to fill.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [ToolCall] {
        guard let value = try? JSONParser.parse(bytes), case .array(let elements) = value else { return [] }
        var calls: [ToolCall] = []
        for element in elements {
            guard let function = element["function"], let name = function["name"]?.string else { continue }
            calls.append(ToolCall(id: element["id"]?.string ?? "", name: name, arguments: arguments(function["arguments"])))
        }
        return calls
    }

    static func arguments(_ value: JSON?) -> JSON {
        if let value, case .object = value { return value }
        if case .string(let text)? = value, let parsed = try? JSONParser.parse(text), case .object = parsed { return parsed }
        return .object([])
    }
}
