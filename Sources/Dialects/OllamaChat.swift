/// One object of Ollama's chat response: a stream chunk, the final chunk, or the whole non-stream answer.
///
/// Every field is optional because Ollama omits zero values (`prompt_eval_count` included).
/// ``NativeChunkParser`` fills it; `Decodable` remains for tests and tools that want the plain fields.
public struct OllamaChatChunk: Decodable, Sendable, Equatable {
    public struct Message: Decodable, Sendable, Equatable {
        public var role: String?
        public var content: String?
        public var thinking: String?
        /// Complete tool calls, in order. An `id` of `""` means Ollama sent none (servers before #12956).
        /// Filled by ``NativeChunkParser`` only (it keeps the arguments' member order).
        public var toolCalls: [ToolCall] = []

        enum CodingKeys: String, CodingKey {
            case role, content, thinking
        }

        public init(role: String? = nil, content: String? = nil, thinking: String? = nil, toolCalls: [ToolCall] = []) {
            self.role = role
            self.content = content
            self.thinking = thinking
            self.toolCalls = toolCalls
        }
    }

    public var model: String?
    public var created_at: String?
    public var message: Message?
    public var done: Bool?
    public var done_reason: String?
    public var total_duration: Int64?
    public var load_duration: Int64?
    public var prompt_eval_count: Int?
    public var prompt_eval_duration: Int64?
    public var eval_count: Int?
    public var eval_duration: Int64?
    /// Present only on an error line (`{"error":"…"}`), before or in the middle of a stream.
    public var error: String?
    /// The generated tokens' log probabilities, when the request asked for them. Filled by ``NativeChunkParser`` only.
    public var logprobs: [TokenLogprob] = []

    enum CodingKeys: String, CodingKey {
        case model, created_at, message, done, done_reason, total_duration, load_duration, prompt_eval_count
        case prompt_eval_duration, eval_count, eval_duration, error
    }
}
