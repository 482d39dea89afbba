/// A plain text completion in Tollgate's own terms (OpenAI's `/v1/completions`), sent to Ollama's `/api/generate`.
public struct CompletionRequest: Sendable, Equatable {
    /// The model as the client named it; routing resolves it to an Ollama model.
    public var model: String
    public var prompt: String
    /// Text that follows the insertion point (fill-in-the-middle); needs a model with the `insert` capability.
    public var suffix: String?
    public var stream: Bool
    public var options: GenerationOptions
    public var format: ResponseFormat?
    public var think: Think?
    /// Log probabilities: nil asks for none; `n` asks for each token's and its `n` likeliest alternatives.
    public var logprobs: Int?

    public init(
        model: String, prompt: String, suffix: String? = nil, stream: Bool, options: GenerationOptions = .init(),
        format: ResponseFormat? = nil, think: Think? = nil, logprobs: Int? = nil
    ) {
        self.model = model
        self.prompt = prompt
        self.suffix = suffix
        self.stream = stream
        self.options = options
        self.format = format
        self.think = think
        self.logprobs = logprobs
    }
}

/// An embedding call in Tollgate's own terms, sent to Ollama's `/api/embed`.
public struct EmbeddingRequest: Sendable, Equatable {
    /// The model as the client named it.
    public var model: String
    /// One vector is returned per input, in order.
    public var inputs: [String]
    /// Truncate each vector to this many dimensions (Ollama re-normalizes).
    public var dimensions: Int?

    public init(model: String, inputs: [String], dimensions: Int? = nil) {
        self.model = model
        self.inputs = inputs
        self.dimensions = dimensions
    }
}
