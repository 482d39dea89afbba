/// How the fake answers `/api/chat` and `/api/generate`. Change it at runtime through
/// ``FakeOllama/behavior``; each request reads a snapshot when it arrives.
public struct FakeOllamaBehavior: Sendable {
    /// Number of text chunks in a reply; each is one `"word "` token unless ``replyText`` is set.
    public var chunks: Int
    /// Delay between streamed chunks.
    public var chunkDelay: Duration
    /// Delay before the response head (and so before the first chunk), for timeout tests.
    public var firstByteDelay: Duration
    /// How long a `stream:false` reply takes to generate. `nil` (the default) simulates real
    /// generation time: one ``chunkDelay`` per piece. `.zero` answers at once, which the benchmark
    /// uses so that a non-streamed call measures the gateway's cost, not the fake's.
    public var wholeReplyDelay: Duration?
    /// Injected failure, if any.
    public var failure: Failure?
    /// Adversarial framing: the NDJSON byte stream is written in pieces cut at arbitrary offsets
    /// (inside multi-byte UTF-8 and inside JSON), and some pieces hold several objects.
    public var splitWrites: Bool
    /// Whether the final chunk carries metrics. When `false`, `total_duration`, `load_duration`,
    /// `prompt_eval_count`, `prompt_eval_duration`, `eval_count` and `eval_duration` are absent.
    public var includeMetrics: Bool
    /// When set, the reply is exactly this text, split into ``chunks`` pieces on `Character`
    /// boundaries (fewer pieces when the text has fewer characters).
    public var replyText: String?

    /// A failure to inject into chat/generate responses.
    public enum Failure: Sendable, Equatable {
        /// Answer with this HTTP status and `{"error": message}` before any byte of a reply.
        case status(Int, String)
        /// Stream `chunks` chunks, then an `{"error":"..."}` NDJSON line, then end the response normally.
        /// Non-streaming requests get status 500 with the error.
        case errorLineAfter(chunks: Int, message: String)
        /// Stream `chunks` chunks, then close the connection without the terminating HTTP chunk.
        /// Non-streaming requests get a head with a `Content-Length` and half the body.
        case dropAfter(chunks: Int)
        /// Stream `chunks` chunks, then send nothing more and keep the connection open (a wedged GPU) until
        /// the client hangs up or the fake stops. Non-streaming requests get a head with a `Content-Length`
        /// and half the body, then the same silence.
        case stallAfter(chunks: Int)
    }

    /// Longest a stalled response stays silent before the fake gives up on it, so no test can hang forever.
    static let stallLimit = Duration.seconds(600)

    public init(
        chunks: Int = 5,
        chunkDelay: Duration = .zero,
        firstByteDelay: Duration = .zero,
        wholeReplyDelay: Duration? = nil,
        failure: Failure? = nil,
        splitWrites: Bool = false,
        includeMetrics: Bool = true,
        replyText: String? = nil
    ) {
        self.chunks = chunks
        self.chunkDelay = chunkDelay
        self.firstByteDelay = firstByteDelay
        self.wholeReplyDelay = wholeReplyDelay
        self.failure = failure
        self.splitWrites = splitWrites
        self.includeMetrics = includeMetrics
        self.replyText = replyText
    }

    /// The reply's text pieces before any `num_predict` or stop-sequence truncation.
    var textPieces: [String] {
        let count = max(chunks, 0)
        guard let replyText else { return Array(repeating: "word ", count: count) }
        let characters = Array(replyText)
        guard count > 0, !characters.isEmpty else { return [] }
        let pieces = min(count, characters.count)
        let base = characters.count / pieces
        let extra = characters.count % pieces
        var result: [String] = []
        var start = 0
        for index in 0..<pieces {
            let length = base + (index < extra ? 1 : 0)
            result.append(String(characters[start..<(start + length)]))
            start += length
        }
        return result
    }
}
