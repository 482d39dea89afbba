import Foundation

/// A validated `/api/chat` or `/api/generate` request: what the fake needs to script a reply.
struct GenerationRequest: Sendable {
    enum Kind: Sendable { case chat, generate }

    var kind: Kind
    /// The `model` string exactly as sent (echoed in responses).
    var modelName: String
    var model: FakeModel
    /// `stream`, defaulting to `true` when absent.
    var stream: Bool
    /// Whether the reply starts with thinking chunks: `think` true/level on a thinking model,
    /// or `think` omitted on a thinking model (Ollama's default).
    var thinking: Bool
    /// Name of the tool to call, when the request has `tools` and the conversation ends with a user message that
    /// contains `call a tool` (chat only).
    var toolName: String?
    /// The arguments of that call: the JSON object the prompt gives after `with`, else `{}`.
    var toolArguments: JSONValue = .object([])
    /// `options.num_predict` when positive (0 and negatives mean unlimited, as in Ollama's runner).
    var numPredict: Int?
    /// `options.stop` sequences.
    var stop: [String]
    /// Deterministic prompt token count; see ``promptTokens(in:)``.
    var promptEvalCount: Int
    /// `keep_alive` in seconds (`.infinity` = forever), `nil` = default 5 minutes.
    var keepAlive: Double?
    /// `true` when there is nothing to generate (empty `messages` / `prompt`): load or unload.
    var isEmpty: Bool
    /// With `logprobs: true`: how many alternatives each token's entry lists (`top_logprobs`); nil when not asked.
    var topLogprobs: Int?

    var goType: String { kind == .chat ? "ChatRequest" : "GenerateRequest" }

    /// Whitespace-separated words in `text` (splitting on `Character.isWhitespace`).
    static func words(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }

    /// The fake's prompt token count: for each chat message, the number of whitespace-separated
    /// words in its `content` plus 4 (per-message template overhead). For generate, `prompt`
    /// and a non-empty `system` each count as one such message.
    static func promptTokens(in contents: [String]) -> Int {
        contents.reduce(0) { $0 + words($1) + 4 }
    }
}

extension FakeOllama {
    /// Validates a chat/generate body in Ollama's order: JSON decoding (with Go's wording),
    /// `top_logprobs` range, model presence and lookup (404), then (unless it is a load/unload
    /// request) thinking and capability checks, then `options` types.
    func parseGeneration(_ body: [UInt8], kind: GenerationRequest.Kind) throws(RequestError) -> GenerationRequest {
        let goType = kind == .chat ? "ChatRequest" : "GenerateRequest"
        let object = try GoDecoding.object(body, goType: goType)
        let modelName = try GoDecoding.string(object, "model", in: goType) ?? ""
        let stream = try GoDecoding.bool(object, "stream", in: goType) ?? true
        let think = try GoDecoding.think(object)
        let keepAlive = try GoDecoding.keepAlive(object)
        let topLogprobs = try GoDecoding.int(object, "top_logprobs", in: goType) ?? 0
        let logprobs = try GoDecoding.bool(object, "logprobs", in: goType) ?? false
        if let options = object["options"], !options.isNull, !options.isObject {
            throw GoDecoding.mismatch(options, goType, "options", "map[string]interface {}")
        }

        var contents: [String] = []
        var needs: [String] = []
        var toolName: String?
        var toolArguments = JSONValue.object([])
        if kind == .chat {
            let messages = try GoDecoding.array(object, "messages", in: goType, goType: "[]api.Message")
            var lastUser = ""
            for message in messages where !message.isNull {
                guard message.isObject else { throw GoDecoding.mismatch(message, goType, "messages", "api.Message") }
                let role = try GoDecoding.string(message, "role", in: "Message", field: "messages.role") ?? ""
                let content = try GoDecoding.string(message, "content", in: "Message", field: "messages.content") ?? ""
                try GoDecoding.images(message, in: "Message", field: "messages.images")
                if message["images"]?.arrayValue?.isEmpty == false { needs.append("vision") }
                contents.append(content)
                // Only a conversation that ends with the user asking triggers a call; a tool's result does not.
                // System messages are not turns (Claude Code sends one after the user's message).
                switch role.lowercased() {
                case "user": lastUser = content
                case "system": break
                default: lastUser = ""
                }
            }
            let tools = try GoDecoding.array(object, "tools", in: goType, goType: "api.Tools")
            if !tools.isEmpty {
                needs.append("tools")
                if let script = ToolScript(prompt: lastUser, offered: tools.compactMap { $0["function"]?["name"]?.stringValue }) {
                    toolName = script.name
                    toolArguments = script.arguments
                }
            }
        } else {
            let prompt = try GoDecoding.string(object, "prompt", in: goType) ?? ""
            let system = try GoDecoding.string(object, "system", in: goType) ?? ""
            let template = try GoDecoding.string(object, "template", in: goType) ?? ""
            let suffix = try GoDecoding.string(object, "suffix", in: goType) ?? ""
            let raw = try GoDecoding.bool(object, "raw", in: goType) ?? false
            let context = try GoDecoding.array(object, "context", in: goType, goType: "[]int")
            try GoDecoding.images(object, in: goType, field: "images")
            if raw, !template.isEmpty || !system.isEmpty || !context.isEmpty {
                throw .badRequest("raw mode does not support template, system, or context")
            }
            if object["images"]?.arrayValue?.isEmpty == false { needs.append("vision") }
            if !suffix.isEmpty { needs.append("insert") }
            if !prompt.isEmpty { contents = system.isEmpty ? [prompt] : [system, prompt] }
        }

        guard (0...20).contains(topLogprobs) else { throw .badRequest("top_logprobs must be between 0 and 20") }
        guard !modelName.isEmpty else { throw .badRequest("model is required") }
        guard let model = models.lookup(modelName) else {
            throw RequestError(status: 404, message: "model '\(modelName)' not found")
        }
        var request = GenerationRequest(
            kind: kind, modelName: modelName, model: model, stream: stream, thinking: false,
            toolName: toolName, numPredict: nil, stop: [],
            promptEvalCount: GenerationRequest.promptTokens(in: contents),
            keepAlive: keepAlive, isEmpty: contents.isEmpty
        )
        request.toolArguments = toolArguments
        request.topLogprobs = logprobs ? topLogprobs : nil
        if request.isEmpty, keepAlive == 0 { return request }

        if model.has("thinking") {
            request.thinking = think ?? true
        } else if think == true {
            throw .badRequest("\"\(modelName)\" does not support thinking")
        }
        guard model.has("completion") else {
            throw .badRequest("\"\(modelName)\" does not support \(kind == .chat ? "chat" : "generate")")
        }
        if let missing = needs.first(where: { !model.has($0) }) {
            throw .badRequest("\(model.fullName) does not support \(missing)")
        }
        let options = try GoDecoding.options(object, in: goType)
        if let limit = options?["num_predict"]?.doubleValue, limit > 0 { request.numPredict = Int(limit) }
        request.stop = options?["stop"]?.arrayValue?.compactMap(\.stringValue).filter { !$0.isEmpty } ?? []
        return request
    }
}

/// The tool call a prompt asks the fake for: `call a tool` calls the first offered tool with `{}`;
/// `call a tool NAME` calls the offered tool of that name; `… with {"k":"v"}` gives the arguments.
/// (Agents like Codex and Claude Code offer many tools and refuse calls without their required arguments.)
struct ToolScript {
    var name: String
    var arguments: JSONValue

    init?(prompt: String, offered: [String]) {
        let lowered = prompt.lowercased()
        guard let phrase = lowered.range(of: "call a tool") else { return nil }
        let rest = prompt[phrase.upperBound...]
        let word = rest.split(whereSeparator: { $0.isWhitespace }).first.map { String($0).trimmingCharacters(in: .punctuationCharacters) }
        name = offered.first { $0 == word } ?? offered.first ?? "tool"
        arguments = .object([])
        if let with = rest.range(of: " with {"), let end = rest.lastIndex(of: "}") {
            let text = rest[rest.index(before: with.upperBound)...end]
            if let parsed = try? JSONParser.parse(Array(text.utf8)), parsed.isObject { arguments = parsed }
        }
    }
}
