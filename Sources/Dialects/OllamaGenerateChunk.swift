/// One object of Ollama's `/api/generate` answer: a stream chunk, the final chunk, or the whole non-stream answer.
public struct OllamaGenerateChunk: Sendable, Equatable {
    public var model: String?
    public var created_at: String?
    /// The generated text; always present, often `""`.
    public var response: String?
    /// A thinking model's reasoning.
    public var thinking: String?
    public var done: Bool?
    public var done_reason: String?
    public var total_duration: Int64?
    public var load_duration: Int64?
    public var prompt_eval_count: Int?
    public var prompt_eval_duration: Int64?
    public var eval_count: Int?
    public var eval_duration: Int64?
    /// Present only on an error line.
    public var error: String?

    public init(
        model: String? = nil, created_at: String? = nil, response: String? = nil, thinking: String? = nil, done: Bool? = nil,
        done_reason: String? = nil, total_duration: Int64? = nil, load_duration: Int64? = nil, prompt_eval_count: Int? = nil,
        prompt_eval_duration: Int64? = nil, eval_count: Int? = nil, eval_duration: Int64? = nil, error: String? = nil
    ) {
        self.model = model
        self.created_at = created_at
        self.response = response
        self.thinking = thinking
        self.done = done
        self.done_reason = done_reason
        self.total_duration = total_duration
        self.load_duration = load_duration
        self.prompt_eval_count = prompt_eval_count
        self.prompt_eval_duration = prompt_eval_duration
        self.eval_count = eval_count
        self.eval_duration = eval_duration
        self.error = error
    }
}
