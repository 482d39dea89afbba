/// One generated token's log probability, and the most likely alternatives at that position.
///
/// Ollama sends these (when a request has `logprobs: true`) as a top-level `logprobs` array on each answer
/// object: `[{"token","logprob","bytes","top_logprobs":[{"token","logprob","bytes"}]}]`. OpenAI's chat and
/// Responses APIs use the same entry shape, so an entry is relayed field for field; the legacy completions
/// API has its own (``OpenAICompletionLogprobs``).
public struct TokenLogprob: Sendable, Equatable {
    public var token: String
    public var logprob: Double
    /// The token's UTF-8 bytes (a token can be part of a multi-byte character); nil when Ollama sent none.
    public var bytes: [Int]?
    /// The alternatives, most likely first (at most the request's `top_logprobs`); empty for an alternative.
    public var top: [TokenLogprob]

    public init(token: String, logprob: Double, bytes: [Int]? = nil, top: [TokenLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.top = top
    }

    /// The entries of a native `logprobs` array; entries without a string `token` and a numeric `logprob`
    /// are skipped (a malformed entry must not fail an answer that is otherwise fine).
    static func list(_ value: JSON) -> [TokenLogprob] {
        guard case .array(let elements) = value else { return [] }
        return elements.compactMap(entry)
    }

    private static func entry(_ value: JSON) -> TokenLogprob? {
        guard let token = value["token"]?.string, let logprob = value["logprob"]?.double else { return nil }
        let bytes = value["bytes"]?.array?.compactMap(\.int)
        let top = value["top_logprobs"].map(list) ?? []
        return TokenLogprob(token: token, logprob: logprob, bytes: bytes, top: top)
    }

    /// The largest `top_logprobs` Ollama (and OpenAI) accept.
    public static let maxTop = 20
}

extension JSONWriter {
    /// `{"token","logprob","bytes","top_logprobs"}` as OpenAI's chat and Responses APIs write an entry
    /// (`bytes` is `null` when unknown; an alternative's `top_logprobs` is omitted).
    mutating func logprobEntry(_ entry: TokenLogprob, withTop: Bool = true) {
        raw("{\"token\":")
        string(entry.token)
        raw(",\"logprob\":")
        double(entry.logprob)
        raw(",\"bytes\":")
        if let bytes = entry.bytes {
            raw("[")
            for (index, byte) in bytes.enumerated() {
                if index > 0 { raw(",") }
                int(byte)
            }
            raw("]")
        } else {
            raw("null")
        }
        if withTop {
            raw(",\"top_logprobs\":[")
            for (index, alternative) in entry.top.enumerated() {
                if index > 0 { raw(",") }
                logprobEntry(alternative, withTop: false)
            }
            raw("]")
        }
        raw("}")
    }

    /// A JSON array of entries.
    mutating func logprobEntries(_ entries: [TokenLogprob]) {
        raw("[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { raw(",") }
            logprobEntry(entry)
        }
        raw("]")
    }
}

/// The legacy completions API's log probabilities: parallel arrays `tokens`, `token_logprobs`,
/// `top_logprobs` (one `{token: logprob}` object per position) and `text_offset` (each token's character
/// offset in the completion text), built from Ollama's entries.
struct OpenAICompletionLogprobs {
    /// Characters of the tokens written so far, for the next `text_offset`.
    private(set) var offset = 0

    /// The `logprobs` object for `entries`, the tokens that follow those already written.
    mutating func json(_ entries: [TokenLogprob], into json: inout JSONWriter) {
        json.raw("{\"tokens\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { json.raw(",") }
            json.string(entry.token)
        }
        json.raw("],\"token_logprobs\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { json.raw(",") }
            json.double(entry.logprob)
        }
        json.raw("],\"top_logprobs\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            for (position, alternative) in entry.top.enumerated() {
                if position > 0 { json.raw(",") }
                json.string(alternative.token)
                json.raw(":")
                json.double(alternative.logprob)
            }
            json.raw("}")
        }
        json.raw("],\"text_offset\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { json.raw(",") }
            json.int(offset)
            offset += entry.token.count
        }
        json.raw("]}")
    }
}
