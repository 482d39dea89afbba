/// What a model produced, as a stream of events every dialect encodes from.
public enum ChatEvent: Sendable, Equatable {
    /// Visible answer text.
    case text(String)
    /// Reasoning text from a thinking model.
    case thinking(String)
    /// One complete tool call (Ollama never sends partial calls).
    case toolCall(ToolCall)
    /// Log probabilities of the tokens just generated (only when the request asked for them); they follow
    /// the text they belong to.
    case logprobs([TokenLogprob])
    /// The end of a successful answer: why it stopped and what it cost.
    case finished(Completion)
    /// The upstream failed after the answer began; no `finished` follows.
    case failed(message: String)
}

/// Why generation stopped, in Tollgate's terms; each dialect maps it to its own words.
public enum FinishReason: String, Sendable, Equatable {
    /// End of turn or a stop sequence.
    case stop
    /// The output token limit (or context) was reached.
    case length
}

/// Token counts and Ollama's own timings for one answer.
public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Ollama's durations in nanoseconds, when it reported them.
    public var totalNanoseconds: Int64?
    public var loadNanoseconds: Int64?
    public var promptEvalNanoseconds: Int64?
    public var evalNanoseconds: Int64?

    public init(
        promptTokens: Int = 0, completionTokens: Int = 0, totalNanoseconds: Int64? = nil, loadNanoseconds: Int64? = nil,
        promptEvalNanoseconds: Int64? = nil, evalNanoseconds: Int64? = nil
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalNanoseconds = totalNanoseconds
        self.loadNanoseconds = loadNanoseconds
        self.promptEvalNanoseconds = promptEvalNanoseconds
        self.evalNanoseconds = evalNanoseconds
    }

    public var totalTokens: Int { promptTokens + completionTokens }
}

/// How an answer ended.
public struct Completion: Sendable, Equatable {
    public var finishReason: FinishReason
    public var usage: Usage

    public init(finishReason: FinishReason, usage: Usage) {
        self.finishReason = finishReason
        self.usage = usage
    }
}
