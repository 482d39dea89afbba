import Testing
@testable import Dialects

/// §1.3, §5.10, §5.11, §5.22, §5.23: tool calls in Ollama's native stream.
@Suite("NativeChatDecoder tool calls")
struct NativeToolCallDecodingTests {
    private func decode(_ lines: [String], ids: [String] = []) -> [ChatEvent] {
        let counter = Counter(ids: ids)
        var decoder = NativeChatDecoder(makeToolCallID: { counter.next() })
        return lines.flatMap { decoder.decode(line: Array($0.utf8)) }
    }

    /// Hands out the given ids in order (a class so the `@Sendable` closure can advance it).
    private final class Counter: @unchecked Sendable {
        var ids: [String]
        init(ids: [String]) { self.ids = ids }
        func next() -> String { ids.isEmpty ? "call_none" : ids.removeFirst() }
    }

    private func call(_ id: String, _ name: String, _ arguments: String) throws -> ChatEvent {
        .toolCall(ToolCall(id: id, name: name, arguments: try JSONParser.parse(arguments)))
    }

    private let done = #"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":10,"eval_count":5}"#
    private var finished: ChatEvent { .finished(Completion(finishReason: .stop, usage: Usage(promptTokens: 10, completionTokens: 5))) }

    @Test func severalCallsInOneChunkKeepOrderAndArgumentOrder() throws {  // §5.11
        let line = #"{"model":"qwen3","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_k3x9a2bq","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo","unit":"c"}}},{"id":"call_2","function":{"index":1,"name":"get_time","arguments":{"zone":"JST","b":1,"a":2.50}}}]},"done":false}"#
        let events = decode([line, done])
        #expect(events == [
            try call("call_k3x9a2bq", "get_weather", #"{"city":"Tokyo","unit":"c"}"#),
            try call("call_2", "get_time", #"{"zone":"JST","b":1,"a":2.50}"#),
            finished,
        ])
        guard case .toolCall(let second) = events[1] else { return }
        #expect(second.arguments.text == #"{"zone":"JST","b":1,"a":2.50}"#, "member order and number text survive")
    }

    @Test func callsAcrossChunksArriveInOrder() throws {  // §5.11
        let first = #"{"message":{"role":"assistant","content":"","tool_calls":[{"id":"a","function":{"index":0,"name":"f","arguments":{}}}]},"done":false}"#
        let second = #"{"message":{"role":"assistant","content":"","tool_calls":[{"id":"b","function":{"index":0,"name":"g","arguments":{"x":[1,{"y":null}]}}}]},"done":false}"#
        #expect(decode([first, second, done]) == [try call("a", "f", "{}"), try call("b", "g", #"{"x":[1,{"y":null}]}"#), finished])
    }

    @Test func doneChunkCarryingTextThinkingAndCallsEmitsThemBeforeFinished() throws {  // §5.23
        let line = #"{"message":{"role":"assistant","content":"last","thinking":"hm","tool_calls":[{"id":"c","function":{"index":0,"name":"f","arguments":{"q":"é\n"}}}]},"done":true,"done_reason":"stop","prompt_eval_count":10,"eval_count":5}"#
        #expect(decode([line]) == [.thinking("hm"), .text("last"), try call("c", "f", #"{"q":"é\n"}"#), finished])
    }

    @Test func missingIdsAreGenerated() throws {  // §5.10
        let line = #"{"message":{"content":"","tool_calls":[{"function":{"index":0,"name":"f","arguments":{}}},{"id":"","function":{"name":"g"}}]},"done":false}"#
        #expect(decode([line], ids: ["call_first01", "call_second2"]) == [try call("call_first01", "f", "{}"), try call("call_second2", "g", "{}")])
    }

    @Test func generatedIdsFollowOllamasFormat() {
        for _ in 0..<50 {
            let id = ToolCallID.random()
            #expect(id.hasPrefix("call_"))
            #expect(id.count == 13)
            #expect(id.dropFirst(5).allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        }
        #expect(Set((0..<50).map { _ in ToolCallID.random() }).count == 50)
    }

    @Test func defaultDecoderGeneratesRandomIds() throws {
        var decoder = NativeChatDecoder()
        let events = decoder.decode(line: Array(#"{"message":{"tool_calls":[{"function":{"name":"f","arguments":{}}}]},"done":false}"#.utf8))
        guard case .toolCall(let call)? = events.first else {
            Issue.record("expected a tool call, got \(events)")
            return
        }
        #expect(call.id.hasPrefix("call_") && call.id.count == 13)
    }

    @Test func stringArgumentsFromOddServersAreParsed() throws {
        let line = #"{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"d","function":{"name":"g","arguments":"nope"}}]},"done":false}"#
        #expect(decode([line]) == [try call("c", "f", #"{"a":1}"#), try call("d", "g", "{}")])
    }

    @Test func malformedCallsAreSkippedButTheChunkStillCounts() {
        let line = #"{"message":{"content":"t","tool_calls":[{"id":"c"},5,{"function":{"name":7}}]},"done":false}"#
        #expect(decode([line]) == [.text("t")])
    }

    @Test func chunkWithoutToolCallsTakesTheFastPathUnchanged() {
        let line = #"{"message":{"role":"assistant","content":"plain","tool_calls":null},"done":false}"#
        #expect(decode([line]) == [.text("plain")])
    }

    @Test func emptyToolCallsArrayEmitsNothing() {
        #expect(decode([#"{"message":{"content":"","tool_calls":[]},"done":false}"#]).isEmpty)
    }

    @Test func nonStreamAnswerWithCallsDecodesWhole() throws {  // stream:false answer is one done object
        let line = #"{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"x","function":{"index":0,"name":"f","arguments":{"k":"v"}}}]},"done":true,"done_reason":"length","eval_count":3}"#
        #expect(decode([line]) == [
            try call("x", "f", #"{"k":"v"}"#), .finished(Completion(finishReason: .length, usage: Usage(completionTokens: 3))),
        ])
    }
}

@Suite("NativeGenerateDecoder")
struct NativeGenerateDecoderTests {
    private func decode(_ lines: [String]) -> (events: [ChatEvent], decoder: NativeGenerateDecoder) {
        var decoder = NativeGenerateDecoder()
        let events = lines.flatMap { decoder.decode(line: Array($0.utf8)) }
        return (events, decoder)
    }

    @Test func responseThinkingAndFinalChunk() {
        let lines = [
            #"{"model":"m","created_at":"x","response":"","thinking":"plan","done":false}"#,
            #"{"model":"m","created_at":"x","response":"Once","done":false}"#,
            #"{"model":"m","created_at":"x","response":" upon \u003ca\u003e","done":false}"#,
            #"{"model":"m","created_at":"x","response":"!","done":true,"done_reason":"length","context":[1,2,3,4],"total_duration":9,"prompt_eval_count":4,"eval_count":7}"#,
        ]
        let (events, decoder) = decode(lines)
        let usage = Usage(promptTokens: 4, completionTokens: 7, totalNanoseconds: 9)
        #expect(events == [.thinking("plan"), .text("Once"), .text(" upon <a>"), .text("!"), .finished(Completion(finishReason: .length, usage: usage))])
        #expect(decoder.isFinished)
        #expect(decoder.usage == usage)
    }

    @Test func missingDoneReasonIsStopAndMissingMetricsAreZero() {
        #expect(decode([#"{"response":"","done":true}"#]).events == [.finished(Completion(finishReason: .stop, usage: Usage()))])
    }

    @Test func errorLineAndGarbageFail() {
        #expect(decode([#"{"response":"a","done":false}"#, #"{"error":"boom"}"#, #"{"response":"b"}"#]).events == [.text("a"), .failed(message: "boom")])
        let (events, decoder) = decode(["<html>"])
        #expect(events.count == 1)
        #expect(decoder.isFinished)
        if case .failed = events.first {} else { Issue.record("expected .failed, got \(events)") }
    }

    @Test func unicodeSplitAcrossNetworkChunksDecodesWhole() {  // §5.30
        let body = Array("{\"response\":\"é😀\u{85}\u{2028}漢\",\"done\":false}\n{\"response\":\"\",\"done\":true}\n".utf8)
        for cut in 1..<body.count {
            var splitter = LineSplitter()
            var decoder = NativeGenerateDecoder()
            var events: [ChatEvent] = []
            for part in [Array(body[..<cut]), Array(body[cut...])] {
                for line in splitter.append(part) { events += decoder.decode(line: line) }
            }
            #expect(events == [.text("é😀\u{85}\u{2028}漢"), .finished(Completion(finishReason: .stop, usage: Usage()))], "cut at \(cut)")
        }
    }
}
