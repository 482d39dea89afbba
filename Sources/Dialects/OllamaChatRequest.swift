/// Ollama's native `POST /api/chat` request, as Tollgate sends it.
///
/// Written with ``JSONWriter`` rather than `JSONEncoder`: tool schemas and tool-call arguments are
/// ``JSON`` values whose member order and number text reach Ollama exactly as the client wrote them,
/// so the prompt Ollama renders is byte-identical from turn to turn (a reordered key is a KV-cache miss).
/// `stream` is always written (Ollama streams when it is absent); unset options are left out so the
/// Modelfile's defaults apply.
public struct OllamaChatRequest: Sendable, Equatable {
    public var model: String
    public var messages: [ChatMessage]
    public var stream: Bool
    public var tools: [ToolDefinition]
    public var format: ResponseFormat?
    public var think: Think?
    public var logprobs: Int?
    public var options: GenerationOptions

    /// Builds the native request for `request`, addressed to `ollamaModel`.
    public init(_ request: ChatRequest, ollamaModel: String) {
        self.model = ollamaModel
        self.messages = request.messages
        self.stream = request.stream
        self.tools = request.tools
        self.format = request.format
        self.think = request.think
        self.logprobs = request.logprobs
        self.options = request.options
    }

    /// The request body.
    public func json() -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.raw("{\"model\":")
        json.string(model)
        json.raw(",\"messages\":[")
        for (index, message) in messages.enumerated() {
            if index > 0 { json.raw(",") }
            json.nativeMessage(message)
        }
        json.raw("],\"stream\":")
        json.raw(stream ? "true" : "false")
        if !tools.isEmpty {
            json.raw(",\"tools\":[")
            for (index, tool) in tools.enumerated() {
                if index > 0 { json.raw(",") }
                json.raw("{\"type\":\"function\",\"function\":{\"name\":")
                json.string(tool.name)
                if let description = tool.description {
                    json.raw(",\"description\":")
                    json.string(description)
                }
                json.raw(",\"parameters\":")
                json.value(tool.parameters)
                json.raw("}}")
            }
            json.raw("]")
        }
        json.nativeFormat(format)
        json.nativeThink(think)
        json.nativeLogprobs(logprobs)
        json.nativeOptions(options)
        json.raw("}")
        return json.bytes
    }
}

extension JSONWriter {
    /// One native message: `content` always, the rest only when set.
    mutating func nativeMessage(_ message: ChatMessage) {
        raw("{\"role\":")
        string(message.role.rawValue)
        raw(",\"content\":")
        string(message.content)
        if let thinking = message.thinking, !thinking.isEmpty {
            raw(",\"thinking\":")
            string(thinking)
        }
        if !message.images.isEmpty {
            raw(",\"images\":[")
            for (index, image) in message.images.enumerated() {
                if index > 0 { raw(",") }
                switch image {
                case .base64(let data): string(data)
                // The gateway inlines remote images before encoding; a URL left here is passed as is for Ollama to refuse.
                case .remote(let url): string(url)
                }
            }
            raw("]")
        }
        if !message.toolCalls.isEmpty {
            raw(",\"tool_calls\":[")
            for (index, call) in message.toolCalls.enumerated() {
                if index > 0 { raw(",") }
                raw("{")
                if !call.id.isEmpty {
                    raw("\"id\":")
                    string(call.id)
                    raw(",")
                }
                raw("\"function\":{\"index\":")
                int(index)
                raw(",\"name\":")
                string(call.name)
                raw(",\"arguments\":")
                // Ollama decodes arguments into a map: anything but an object would be a 400.
                if case .object = call.arguments { value(call.arguments) } else { raw("{}") }
                raw("}}")
            }
            raw("]")
        }
        if let toolName = message.toolName {
            raw(",\"tool_name\":")
            string(toolName)
        }
        if let toolCallID = message.toolCallID {
            raw(",\"tool_call_id\":")
            string(toolCallID)
        }
        raw("}")
    }

    /// `,"format":"json"` or `,"format":{schema}`; nothing when unset.
    mutating func nativeFormat(_ format: ResponseFormat?) {
        switch format {
        case nil: return
        case .json: raw(",\"format\":\"json\"")
        case .schema(let schema):
            raw(",\"format\":")
            value(schema)
        }
    }

    /// `,"think":true|false|"level"`; nothing when unset.
    mutating func nativeThink(_ think: Think?) {
        switch think {
        case nil: return
        case .enabled(let flag): raw(flag ? ",\"think\":true" : ",\"think\":false")
        case .level(let level):
            raw(",\"think\":")
            string(level)
        }
    }

    /// `,"logprobs":true,"top_logprobs":n`; nothing when none are asked for.
    mutating func nativeLogprobs(_ top: Int?) {
        guard let top else { return }
        raw(",\"logprobs\":true,\"top_logprobs\":")
        int(top)
    }

    /// `,"options":{…}` with the set options only; nothing when none is set.
    mutating func nativeOptions(_ options: GenerationOptions) {
        guard options != GenerationOptions() else { return }
        raw(",\"options\":{")
        var first = true
        if let value = options.maxTokens {
            optionKey("num_predict", &first)
            int(value)
        }
        if let value = options.temperature {
            optionKey("temperature", &first)
            double(value)
        }
        if let value = options.topP {
            optionKey("top_p", &first)
            double(value)
        }
        if let value = options.topK {
            optionKey("top_k", &first)
            int(value)
        }
        if let value = options.seed {
            optionKey("seed", &first)
            int(value)
        }
        if let stops = options.stop {
            optionKey("stop", &first)
            raw("[")
            for (index, stop) in stops.enumerated() {
                if index > 0 { raw(",") }
                string(stop)
            }
            raw("]")
        }
        if let value = options.frequencyPenalty {
            optionKey("frequency_penalty", &first)
            double(value)
        }
        if let value = options.presencePenalty {
            optionKey("presence_penalty", &first)
            double(value)
        }
        raw("}")
    }

    private mutating func optionKey(_ name: String, _ first: inout Bool) {
        raw(first ? "\"\(name)\":" : ",\"\(name)\":")
        first = false
    }

    /// A finite double in Swift's shortest round-tripping form (`0.7`, `1e-05`); integral values without `.0`.
    mutating func double(_ value: Double) {
        guard value.isFinite else { return raw("0") }
        if value.rounded() == value, abs(value) < 1e15 { return raw(String(Int(value))) }
        raw(String(value))
    }
}
