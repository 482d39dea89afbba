import Testing
@testable import Dialects

@Suite("NativeChatDecoder")
struct NativeChatDecoderTests {
    private func decode(_ lines: [String]) -> (events: [[ChatEvent]], decoder: NativeChatDecoder) {
        var decoder = NativeChatDecoder(makeToolCallID: { "call_generated" })
        let events = lines.map { decoder.decode(line: Array($0.utf8)) }
        return (events, decoder)
    }

    private func content(_ text: String) -> String {
        #"{"model":"llama3.2:latest","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"\#(text)"},"done":false}"#
    }

    private let finalLine =
        #"{"model":"llama3.2:latest","created_at":"2025-01-01T00:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":5000,"load_duration":100,"prompt_eval_count":12,"prompt_eval_duration":200,"eval_count":34,"eval_duration":4000}"#

    @Test func textChunksBecomeTextEvents() {
        let (events, decoder) = decode([content("Hel"), content("lo")])
        #expect(events == [[.text("Hel")], [.text("lo")]])
        #expect(!decoder.isFinished)
        #expect(decoder.usage.completionTokens == 2, "text chunks are counted until the real count arrives")
    }

    @Test func escapedAndNonASCIITextIsDecoded() {
        let (events, _) = decode([content(#"say \"hi\"\n😀 \u00e9"#)])
        #expect(events == [[.text("say \"hi\"\n😀 é")]])
    }

    @Test func thinkingBecomesThinkingEvent() {
        let line = #"{"message":{"role":"assistant","content":"","thinking":"Let me think."},"done":false}"#
        let (events, decoder) = decode([line])
        #expect(events == [[.thinking("Let me think.")]])
        #expect(decoder.usage.completionTokens == 1, "thinking tokens count too (Ollama's eval_count includes them)")
    }

    @Test func thinkingAndTextInOneChunkKeepThatOrder() {
        let line = #"{"message":{"role":"assistant","content":"A","thinking":"T"},"done":false}"#
        #expect(decode([line]).events == [[.thinking("T"), .text("A")]])
    }

    @Test func emptyContentChunkEmitsNothing() {
        let line = #"{"message":{"role":"assistant","content":""},"done":false}"#
        #expect(decode([line]).events == [[]])
    }

    @Test func finalChunkFinishesWithUsageAndDurations() {
        let (events, decoder) = decode([content("Hi"), finalLine])
        let usage = Usage(
            promptTokens: 12, completionTokens: 34, totalNanoseconds: 5000, loadNanoseconds: 100,
            promptEvalNanoseconds: 200, evalNanoseconds: 4000
        )
        #expect(events == [[.text("Hi")], [.finished(Completion(finishReason: .stop, usage: usage))]])
        #expect(decoder.isFinished)
        #expect(decoder.usage == usage)
        #expect(decoder.usage.totalTokens == 46)
    }

    @Test func finalChunkWithTrailingTextEmitsTextBeforeFinished() {
        let line = #"{"message":{"role":"assistant","content":"end."},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}"#
        let events = decode([line]).events
        #expect(events == [[.text("end."), .finished(Completion(finishReason: .stop, usage: Usage(promptTokens: 3, completionTokens: 4)))]])
    }

    @Test func absentMetricsCountAsZero() throws {
        let (events, decoder) = decode([#"{"message":{"role":"assistant","content":""},"done":true}"#])
        #expect(events == [[.finished(Completion(finishReason: .stop, usage: Usage()))]])
        #expect(decoder.usage.promptTokens == 0)
        #expect(decoder.usage.completionTokens == 0)
        #expect(decoder.usage.totalNanoseconds == nil)
        #expect(decoder.usage.evalNanoseconds == nil)
    }

    @Test(arguments: [
        (#","done_reason":"length""#, FinishReason.length),
        (#","done_reason":"stop""#, .stop),
        ("", .stop),
        (#","done_reason":"load""#, .stop),
        (#","done_reason":"""#, .stop),
        (#","done_reason":null"#, .stop),
    ])
    func doneReasonMapsToFinishReason(field: String, expected: FinishReason) throws {
        let line = #"{"message":{"role":"assistant","content":""},"done":true"# + field + "}"
        let events = decode([line]).events
        let last = try #require(events.first?.last)
        guard case .finished(let completion) = last else {
            Issue.record("expected .finished, got \(last)")
            return
        }
        #expect(completion.finishReason == expected)
    }

    @Test func errorLineFailsAndNothingFollows() {
        let (events, decoder) = decode([content("a"), #"{"error":"model runner crashed"}"#, content("b"), finalLine])
        #expect(events == [[.text("a")], [.failed(message: "model runner crashed")], [], []])
        #expect(decoder.isFinished)
    }

    @Test func errorAsFirstLineFails() {
        #expect(decode([#"{"error":"model 'x' not found"}"#]).events == [[.failed(message: "model 'x' not found")]])
    }

    @Test(arguments: ["not json", "{\"message\":", "<html>502 Bad Gateway</html>", "[1,2,3]"])
    func nonJSONLineFails(line: String) throws {
        let (events, decoder) = decode([line])
        #expect(events.count == 1)
        let only = try #require(events.first)
        #expect(only.count == 1)
        guard case .failed(let message)? = only.first else {
            Issue.record("expected .failed, got \(only)")
            return
        }
        #expect(!message.isEmpty)
        #expect(decoder.isFinished)
    }

    @Test func nothingIsEmittedAfterFinished() {
        let (events, _) = decode([finalLine, content("late"), #"{"error":"late"}"#, finalLine])
        #expect(events.count == 4)
        #expect(events.dropFirst().allSatisfy { $0.isEmpty })
    }

    /// A garbage line after the stream already ended (or failed) should not produce a second terminal event.
    @Test func nonJSONLineAfterFinishedEmitsNothing() {
        let (events, _) = decode([#"{"error":"boom"}"#, "garbage"])
        #expect(events == [[.failed(message: "boom")], []])
    }

    @Test func emptyLineIsIgnored() {
        let (events, decoder) = decode(["", content("x")])
        #expect(events == [[], [.text("x")]])
        #expect(!decoder.isFinished)
    }

    @Test func decodesChunkValuesDirectly() {
        var decoder = NativeChatDecoder()
        let chunk = OllamaChatChunk(
            message: .init(role: "assistant", content: "ok", thinking: nil), done: true, done_reason: "length",
            prompt_eval_count: 1, eval_count: 2
        )
        #expect(decoder.decode(chunk) == [.text("ok"), .finished(Completion(finishReason: .length, usage: Usage(promptTokens: 1, completionTokens: 2)))])
    }
}
