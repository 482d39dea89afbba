/// The client dialects Tollgate speaks. Each renders errors, whole answers and streams its own way.
public enum Dialect: String, Sendable, Equatable {
    /// `responses` is OpenAI's Responses API: OpenAI's error shape, its own usage rows.
    case openai, anthropic, ollama, responses

    /// The JSON body of `error` in this dialect's error shape.
    public func errorJSON(_ error: DialectError) -> [UInt8] {
        switch self {
        case .openai, .responses: OpenAIErrorBody.json(error)
        case .anthropic: AnthropicErrorBody.json(error)
        case .ollama: OllamaErrorBody.json(error)
        }
    }
}

/// Encodes one answer's events as a streamed response in a client dialect.
///
/// The route calls ``start()`` once Ollama has accepted the call, ``encode(_:)`` for every event in
/// order, and ``keepAlive()`` when nothing has been written for a while. After `.finished` or `.failed`
/// nothing more is encoded.
public protocol ChatStreamEncoder: Sendable {
    /// The stream's `Content-Type`.
    static var contentType: String { get }
    /// Bytes sent before any event (Anthropic's `message_start`); empty when the dialect has none.
    mutating func start() -> [UInt8]
    /// The bytes for `event`: possibly several frames, possibly none.
    mutating func encode(_ event: ChatEvent) -> [UInt8]
    /// Bytes that keep an idle stream open (an SSE comment, Anthropic's `ping`).
    func keepAlive() -> [UInt8]
}

/// Collects one answer's events into a whole (non-streamed) response in a client dialect.
public protocol ChatAnswerBuilder: Sendable {
    mutating func add(_ event: ChatEvent)
    /// How the answer ended; nil while unfinished or after a failure.
    var completion: Completion? { get }
    /// Ollama's error, when the answer failed.
    var failure: String? { get }
    /// The response body.
    func json() -> [UInt8]
}
