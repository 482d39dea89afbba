import Dialects

/// How one streamed answer's bytes change on their way from Ollama to the client.
protocol StreamTranslation: Sendable {
    /// True once the answer ended (its `done` line, or an in-stream error).
    var isFinished: Bool { get }
    /// Ollama's in-stream error, if the answer ended with one.
    var failure: String? { get }
    /// Tokens so far; the real counts once finished.
    var usage: Usage { get }
    /// Bytes to send before the first chunk.
    mutating func start() -> [UInt8]
    /// The client's bytes for one chunk of Ollama's body.
    mutating func translate(_ chunk: [UInt8], meter: inout RequestMeter) -> [UInt8]
    /// The client's bytes for whatever the body left unterminated at its end.
    mutating func finish(meter: inout RequestMeter) -> [UInt8]
    /// The client's bytes saying the stream broke with `message`.
    mutating func broken(_ message: String) -> [UInt8]
    /// Bytes that keep an idle stream open without changing its content; empty when the format has none.
    func keepAlive() -> [UInt8]
}

/// Ollama's NDJSON decoded into events and re-encoded in the client's dialect.
struct EncodedStream<Decoder: NativeEventDecoder, Encoder: ChatStreamEncoder>: StreamTranslation {
    private var decoder: Decoder
    private var encoder: Encoder
    private var splitter = LineSplitter()
    private(set) var failure: String?

    init(decoder: Decoder, encoder: Encoder) {
        self.decoder = decoder
        self.encoder = encoder
    }

    var isFinished: Bool { decoder.isFinished }
    var usage: Usage { decoder.usage }

    mutating func start() -> [UInt8] { encoder.start() }

    mutating func translate(_ chunk: [UInt8], meter: inout RequestMeter) -> [UInt8] {
        var out: [UInt8] = []
        for line in splitter.append(chunk) where !decoder.isFinished { out += translate(line: line, meter: &meter) }
        return out
    }

    mutating func finish(meter: inout RequestMeter) -> [UInt8] {
        guard let last = splitter.finish(), !decoder.isFinished else { return [] }
        return translate(line: last, meter: &meter)
    }

    mutating func broken(_ message: String) -> [UInt8] { encoder.encode(.failed(message: message)) }

    func keepAlive() -> [UInt8] { encoder.keepAlive() }

    private mutating func translate(line: [UInt8], meter: inout RequestMeter) -> [UInt8] {
        var out: [UInt8] = []
        for event in decoder.decode(line: line) {
            switch event {
            case .text, .thinking, .toolCall: meter.firstToken()
            case .logprobs: break
            case .failed(let message): failure = message
            case .finished: break
            }
            meter.capturedResponse(event)
            out += encoder.encode(event)
        }
        return out
    }
}

/// Ollama's own bytes, passed through unchanged for native clients; decoded on the side for metering.
struct NativeStream<Decoder: NativeEventDecoder>: StreamTranslation {
    private var decoder: Decoder
    private var splitter = LineSplitter()
    private(set) var failure: String?

    init(decoder: Decoder) { self.decoder = decoder }

    var isFinished: Bool { decoder.isFinished }
    var usage: Usage { decoder.usage }

    mutating func start() -> [UInt8] { [] }

    mutating func translate(_ chunk: [UInt8], meter: inout RequestMeter) -> [UInt8] {
        // The native client gets Ollama's first line as Ollama sent it: that is its first token.
        if !chunk.isEmpty { meter.firstToken() }
        for line in splitter.append(chunk) where !decoder.isFinished { observe(line, meter: &meter) }
        return chunk
    }

    mutating func finish(meter: inout RequestMeter) -> [UInt8] {
        if let last = splitter.finish(), !decoder.isFinished { observe(last, meter: &meter) }
        return []
    }

    /// NDJSON has no comment line, and Ollama's clients wait silently too.
    func keepAlive() -> [UInt8] { [] }

    /// Ollama's own way of saying a stream failed: one more NDJSON line with an error.
    mutating func broken(_ message: String) -> [UInt8] { OllamaErrorBody.json(DialectError(.upstreamUnavailable, message)) + [0x0A] }

    private mutating func observe(_ line: [UInt8], meter: inout RequestMeter) {
        for event in decoder.decode(line: line) {
            if case .failed(let message) = event { failure = message }
            meter.capturedResponse(event)
        }
    }
}
