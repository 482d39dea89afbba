/// Watches an answer go by without changing it. The gateway's request meter is one: it times the first
/// token and keeps what payload logging wants of each event.
public protocol AnswerObserver {
    /// The answer's first content (text, thinking or a tool call) arrived; later calls change nothing.
    mutating func firstToken()
    /// One event of the answer, as decoded.
    mutating func observe(_ event: ChatEvent)
}

/// How one streamed answer's bytes change on their way from Ollama to the client: pure, so a chunk in
/// gives the client's bytes out, and the caller does the reading and writing.
public protocol StreamTranslation: Sendable {
    /// True once the answer ended (its `done` line, or an in-stream error).
    var isFinished: Bool { get }
    /// Ollama's in-stream error, if the answer ended with one.
    var failure: String? { get }
    /// Tokens so far; the real counts once finished.
    var usage: Usage { get }
    /// Bytes to send before the first chunk.
    mutating func start() -> [UInt8]
    /// The client's bytes for one chunk of Ollama's body (a chunk may end mid-line).
    mutating func translate(_ chunk: [UInt8], observer: inout some AnswerObserver) -> [UInt8]
    /// The client's bytes for whatever the body left unterminated at its end.
    mutating func finish(observer: inout some AnswerObserver) -> [UInt8]
    /// The client's bytes saying the stream broke with `message`.
    mutating func broken(_ message: String) -> [UInt8]
    /// Bytes that keep an idle stream open without changing its content; empty when the format has none.
    func keepAlive() -> [UInt8]
}

/// Ollama's NDJSON decoded into events and re-encoded in the client's dialect.
public struct EncodedStream<Decoder: NativeEventDecoder, Encoder: ChatStreamEncoder>: StreamTranslation {
    private var decoder: Decoder
    private var encoder: Encoder
    private var splitter = LineSplitter()
    public private(set) var failure: String?

    public init(decoder: Decoder, encoder: Encoder) {
        self.decoder = decoder
        self.encoder = encoder
    }

    public var isFinished: Bool { decoder.isFinished }
    public var usage: Usage { decoder.usage }

    public mutating func start() -> [UInt8] { encoder.start() }

    public mutating func translate(_ chunk: [UInt8], observer: inout some AnswerObserver) -> [UInt8] {
        var out: [UInt8] = []
        for line in splitter.append(chunk) where !decoder.isFinished { out += translate(line: line, observer: &observer) }
        return out
    }

    public mutating func finish(observer: inout some AnswerObserver) -> [UInt8] {
        guard let last = splitter.finish(), !decoder.isFinished else { return [] }
        return translate(line: last, observer: &observer)
    }

    public mutating func broken(_ message: String) -> [UInt8] { encoder.encode(.failed(message: message)) }

    public func keepAlive() -> [UInt8] { encoder.keepAlive() }

    private mutating func translate(line: [UInt8], observer: inout some AnswerObserver) -> [UInt8] {
        var out: [UInt8] = []
        for event in decoder.decode(line: line) {
            switch event {
            case .text, .thinking, .toolCall: observer.firstToken()
            case .logprobs, .finished: break
            case .failed(let message): failure = message
            }
            observer.observe(event)
            out += encoder.encode(event)
        }
        return out
    }
}

/// Ollama's own bytes, passed through unchanged for native clients; decoded on the side for the observer.
public struct NativeStream<Decoder: NativeEventDecoder>: StreamTranslation {
    private var decoder: Decoder
    private var splitter = LineSplitter()
    public private(set) var failure: String?

    public init(decoder: Decoder) { self.decoder = decoder }

    public var isFinished: Bool { decoder.isFinished }
    public var usage: Usage { decoder.usage }

    public mutating func start() -> [UInt8] { [] }

    public mutating func translate(_ chunk: [UInt8], observer: inout some AnswerObserver) -> [UInt8] {
        // The native client gets Ollama's first line as Ollama sent it: that is its first token.
        if !chunk.isEmpty { observer.firstToken() }
        for line in splitter.append(chunk) where !decoder.isFinished { observe(line, observer: &observer) }
        return chunk
    }

    public mutating func finish(observer: inout some AnswerObserver) -> [UInt8] {
        if let last = splitter.finish(), !decoder.isFinished { observe(last, observer: &observer) }
        return []
    }

    /// NDJSON has no comment line, and Ollama's clients wait silently too.
    public func keepAlive() -> [UInt8] { [] }

    /// Ollama's own way of saying a stream failed: one more NDJSON line with an error.
    public mutating func broken(_ message: String) -> [UInt8] {
        OllamaErrorBody.json(DialectError(.upstreamUnavailable, message)) + [0x0A]
    }

    private mutating func observe(_ line: [UInt8], observer: inout some AnswerObserver) {
        for event in decoder.decode(line: line) {
            if case .failed(let message) = event { failure = message }
            observer.observe(event)
        }
    }
}

/// A whole (non-streamed) answer: Ollama's NDJSON body decoded and collected by a dialect's builder.
public enum WholeAnswer {
    /// `builder` after every event of `body`; the observer sees each event. A body whose last line has no
    /// `\n` counts that line too.
    public static func build<Builder: ChatAnswerBuilder>(
        _ body: [UInt8], decoder: some NativeEventDecoder, into builder: Builder, observer: inout some AnswerObserver
    ) -> Builder {
        var decoder = decoder
        var builder = builder
        var splitter = LineSplitter()
        for line in splitter.append(body) + (splitter.finish().map { [$0] } ?? []) {
            for event in decoder.decode(line: line) {
                builder.add(event)
                observer.observe(event)
            }
        }
        return builder
    }
}
