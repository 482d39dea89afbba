/// Ollama's native `POST /api/generate` request, as Tollgate sends it for OpenAI's `/v1/completions`.
///
/// Not `raw`: the model's template is applied, as Ollama's own OpenAI layer does. A thinking model's
/// reasoning comes back in `thinking` and is dropped by the completions encoders.
public struct OllamaGenerateRequest: Sendable, Equatable {
    public var model: String
    public var prompt: String
    public var suffix: String?
    public var stream: Bool
    public var format: ResponseFormat?
    public var think: Think?
    public var logprobs: Int?
    public var options: GenerationOptions

    public init(_ request: CompletionRequest, ollamaModel: String) {
        self.model = ollamaModel
        self.prompt = request.prompt
        self.suffix = request.suffix
        self.stream = request.stream
        self.format = request.format
        self.think = request.think
        self.logprobs = request.logprobs
        self.options = request.options
    }

    /// The request body: `model`, `prompt`, `suffix` when set, `stream` always, then format, think, logprobs and
    /// options when set.
    public func json() -> [UInt8] {
        var json = JSONWriter(capacity: prompt.utf8.count + 256)
        json.raw("{\"model\":")
        json.string(model)
        json.raw(",\"prompt\":")
        json.string(prompt)
        if let suffix {
            json.raw(",\"suffix\":")
            json.string(suffix)
        }
        json.raw(stream ? ",\"stream\":true" : ",\"stream\":false")
        json.nativeFormat(format)
        json.nativeThink(think)
        json.nativeLogprobs(logprobs)
        json.nativeOptions(options)
        json.raw("}")
        return json.bytes
    }
}

/// Ollama's native `POST /api/embed` request.
public struct OllamaEmbedRequest: Sendable, Equatable {
    public var model: String
    /// Always sent as an array, even for one input.
    public var input: [String]
    public var dimensions: Int?
    /// Ollama's default is true (cut inputs longer than the context); false makes them a 400.
    public var truncate: Bool?

    public init(model: String, input: [String], dimensions: Int? = nil, truncate: Bool? = nil) {
        self.model = model
        self.input = input
        self.dimensions = dimensions
        self.truncate = truncate
    }

    public init(_ request: EmbeddingRequest, ollamaModel: String) {
        self.init(model: ollamaModel, input: request.inputs, dimensions: request.dimensions)
    }

    public func json() -> [UInt8] {
        var json = JSONWriter(capacity: input.reduce(64) { $0 + $1.utf8.count + 3 })
        json.raw("{\"model\":")
        json.string(model)
        json.raw(",\"input\":[")
        for (index, text) in input.enumerated() {
            if index > 0 { json.raw(",") }
            json.string(text)
        }
        json.raw("]")
        if let dimensions {
            json.raw(",\"dimensions\":")
            json.int(dimensions)
        }
        if let truncate { json.raw(truncate ? ",\"truncate\":true" : ",\"truncate\":false") }
        json.raw("}")
        return json.bytes
    }
}
