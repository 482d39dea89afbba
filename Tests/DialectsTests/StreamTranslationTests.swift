import Testing
@testable import Dialects

/// Records what a translation reports, as the gateway's request meter would see it.
private struct RecordingObserver: AnswerObserver {
    var firstTokens = 0
    var events: [ChatEvent] = []
    /// How many events had been observed when the first token was reported.
    var eventsBeforeFirstToken: Int?

    mutating func firstToken() {
        firstTokens += 1
        if eventsBeforeFirstToken == nil { eventsBeforeFirstToken = events.count }
    }

    mutating func observe(_ event: ChatEvent) { events.append(event) }
}

@Suite("Stream translation: Ollama's NDJSON chunks to the client's bytes, without I/O")
struct StreamTranslationTests {
    private static let lines = [
        #"{"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"Hel"},"done":false}"#,
        #"{"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"lo ü"},"done":false}"#,
        #"{"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}"#,
    ]
    private static let body = Array(lines.map { $0 + "\n" }.joined().utf8)
    private static let envelope = OpenAIChatEnvelope(id: "chatcmpl-1", created: 7, model: "m")

    private func openAI() -> EncodedStream<NativeChatDecoder, OpenAIStreamEncoder> {
        EncodedStream(decoder: NativeChatDecoder(), encoder: OpenAIStreamEncoder(envelope: Self.envelope, includeUsage: true))
    }

    /// The whole output of a translation fed `chunks`, with what the observer saw.
    private func run<T: StreamTranslation>(_ translation: T, _ chunks: [[UInt8]]) -> (bytes: [UInt8], translation: T, observer: RecordingObserver) {
        var translation = translation
        var observer = RecordingObserver()
        var bytes = translation.start()
        for chunk in chunks { bytes += translation.translate(chunk, observer: &observer) }
        bytes += translation.finish(observer: &observer)
        return (bytes, translation, observer)
    }

    @Test("however the body is cut into chunks, even inside a UTF-8 character, the client gets the same bytes")
    func chunkBoundariesDoNotMatter() {
        let whole = run(openAI(), [Self.body])
        #expect(whole.translation.isFinished)
        #expect(whole.translation.usage == Usage(promptTokens: 3, completionTokens: 4))
        #expect(text(whole.bytes).contains(#""content":"lo ü""#))
        #expect(text(whole.bytes).hasSuffix("data: [DONE]\n\n"))
        for cut in 1..<Self.body.count {
            let split = run(openAI(), [Array(Self.body[..<cut]), Array(Self.body[cut...])])
            #expect(split.bytes == whole.bytes, "cut at \(cut)")
        }
        let byteByByte = run(openAI(), Self.body.map { [$0] })
        #expect(byteByByte.bytes == whole.bytes)
    }

    @Test("the observer hears of the first token at the first content, before any event, and sees every event in order")
    func observerSeesEveryEvent() {
        let result = run(openAI(), Self.body.map { [$0] })
        #expect(result.observer.firstTokens >= 1)
        #expect(result.observer.eventsBeforeFirstToken == 0)
        #expect(result.observer.events.count == 3)
        guard result.observer.events.count == 3 else { return }
        #expect(result.observer.events[0] == .text("Hel"))
        #expect(result.observer.events[1] == .text("lo ü"))
        if case .finished(let completion) = result.observer.events[2] {
            #expect(completion.finishReason == .stop)
        } else {
            Issue.record("the last event is not .finished: \(result.observer.events[2])")
        }
    }

    @Test("nothing after Ollama's done line reaches the client")
    func linesAfterDoneAreIgnored() {
        let extra = Array((Self.lines[0] + "\n").utf8)
        let plain = run(openAI(), [Self.body])
        let trailing = run(openAI(), [Self.body, extra])
        #expect(trailing.bytes == plain.bytes)
        #expect(trailing.observer.events.count == plain.observer.events.count)
    }

    @Test("a last line without its newline is still translated when the body ends")
    func unterminatedLastLine() {
        let cut = Array(Self.body.dropLast())
        var translation = openAI()
        var observer = RecordingObserver()
        _ = translation.translate(cut, observer: &observer)
        #expect(!translation.isFinished)
        let tail = translation.finish(observer: &observer)
        #expect(translation.isFinished)
        #expect(text(tail).hasSuffix("data: [DONE]\n\n"))
    }

    @Test("Ollama's in-stream error ends the answer as a failure, in the client's dialect")
    func inStreamError() {
        let body = Array((Self.lines[0] + "\n" + #"{"error":"model runner crashed"}"# + "\n").utf8)
        let result = run(openAI(), [body])
        #expect(result.translation.isFinished)
        #expect(result.translation.failure == "model runner crashed")
        #expect(text(result.bytes).contains("model runner crashed"))
    }

    @Test("a broken stream's last bytes are the dialect's error event")
    func brokenStream() {
        var anthropic = EncodedStream(
            decoder: NativeChatDecoder(), encoder: AnthropicStreamEncoder(messageID: "msg_1", model: "m", estimatedInputTokens: 1)
        )
        _ = anthropic.start()
        let bytes = text(anthropic.broken("Ollama ended the stream early."))
        #expect(bytes.hasPrefix("event: error\n"))
        #expect(bytes.contains("Ollama ended the stream early."))
        #expect(!anthropic.keepAlive().isEmpty)
    }

    @Test("Ollama's own clients get Ollama's bytes unchanged; the usage is read on the side")
    func nativePassThrough() {
        let chunks = [Array(Self.body[..<50]), Array(Self.body[50...])]
        let result = run(NativeStream(decoder: NativeChatDecoder()), chunks)
        #expect(result.bytes == Self.body)
        #expect(result.translation.isFinished)
        #expect(result.translation.usage == Usage(promptTokens: 3, completionTokens: 4))
        #expect(result.observer.eventsBeforeFirstToken == 0)
        #expect(result.observer.events.count == 3)
        var native = NativeStream(decoder: NativeChatDecoder())
        #expect(native.keepAlive().isEmpty)
        let broken = native.broken("boom")
        #expect(broken.last == 0x0A)
        #expect(text(broken).contains(#""error":"boom""#))
    }

    @Test("a whole answer is collected by the dialect's builder, its last line read without a newline")
    func wholeAnswer() throws {
        var observer = RecordingObserver()
        let builder = WholeAnswer.build(
            Array(Self.body.dropLast()), decoder: NativeChatDecoder(), into: OpenAIChatResponse(envelope: Self.envelope), observer: &observer
        )
        #expect(builder.completion?.usage == Usage(promptTokens: 3, completionTokens: 4))
        #expect(builder.failure == nil)
        #expect(observer.events.count == 3)
        let object = try jsonObject(builder.json())
        let message = (object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
        #expect(message?["content"] as? String == "Hello ü")
    }
}
