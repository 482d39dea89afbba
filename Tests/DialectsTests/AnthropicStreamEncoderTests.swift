import Foundation
import Testing
@testable import Dialects

@Suite("AnthropicStreamEncoder")
struct AnthropicStreamEncoderTests {
    /// Runs `events` through a fresh encoder (after `start()`) and returns the whole stream as text.
    private func stream(_ events: [ChatEvent], callStart: Bool = true, estimate: Int = 42) -> String {
        var encoder = AnthropicStreamEncoder(messageID: "msg_test", model: "claude-x", estimatedInputTokens: estimate)
        var bytes = callStart ? encoder.start() : []
        for event in events { bytes += encoder.encode(event) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One SSE frame.
    private func sse(_ type: String, _ json: String) -> String { "event: \(type)\ndata: \(json)\n\n" }

    private func finished(_ reason: FinishReason = .stop, prompt: Int = 12, output: Int = 2) -> ChatEvent {
        .finished(Completion(finishReason: reason, usage: Usage(promptTokens: prompt, completionTokens: output)))
    }

    private var opening: String {
        sse("message_start", #"{"type":"message_start","message":{"id":"msg_test","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":42,"output_tokens":0}}}"#)
            + sse("ping", #"{"type":"ping"}"#)
    }

    private func blockStart(_ index: Int, _ block: String) -> String {
        sse("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":\#(block)}"#)
    }

    private func delta(_ index: Int, _ delta: String) -> String {
        sse("content_block_delta", #"{"type":"content_block_delta","index":\#(index),"delta":\#(delta)}"#)
    }

    private func blockStop(_ index: Int) -> String {
        sse("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#)
    }

    private func textStart(_ index: Int) -> String { blockStart(index, #"{"type":"text","text":""}"#) }
    private func thinkingStart(_ index: Int) -> String { blockStart(index, #"{"type":"thinking","thinking":"","signature":""}"#) }
    private func textDelta(_ index: Int, _ text: String) -> String { delta(index, #"{"type":"text_delta","text":"\#(text)"}"#) }
    private func thinkingDelta(_ index: Int, _ text: String) -> String { delta(index, #"{"type":"thinking_delta","thinking":"\#(text)"}"#) }
    private func signature(_ index: Int) -> String {
        delta(index, #"{"type":"signature_delta","signature":"tollgate-unsigned-thinking"}"#)
    }

    private func ending(_ reason: String, input: Int = 12, output: Int = 2) -> String {
        sse("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"\#(reason)","stop_sequence":null},"usage":{"input_tokens":\#(input),"output_tokens":\#(output)}}"#)
            + sse("message_stop", #"{"type":"message_stop"}"#)
    }

    // MARK: Exact sequences

    @Test func textOnly() {
        let expected = opening + textStart(0) + textDelta(0, "Hel") + textDelta(0, "lo") + blockStop(0) + ending("end_turn")
        #expect(stream([.text("Hel"), .text("lo"), finished()]) == expected)
    }

    // §5.26: a thinking block starts with an empty signature and gets one signature_delta before it stops.
    @Test func thinkingThenText() {
        let expected = opening
            + thinkingStart(0) + thinkingDelta(0, "Let me") + thinkingDelta(0, " think.") + signature(0) + blockStop(0)
            + textStart(1) + textDelta(1, "4") + blockStop(1)
            + ending("end_turn")
        #expect(stream([.thinking("Let me"), .thinking(" think."), .text("4"), finished()]) == expected)
    }

    // §5.24: one input_json_delta holding the whole arguments object.
    @Test func textThenToolCall() throws {
        let arguments = try JSONParser.parse(#"{"city":"Paris","unit":"c"}"#)
        let expected = opening
            + textStart(0) + textDelta(0, "Checking.") + blockStop(0)
            + blockStart(1, #"{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}"#)
            + delta(1, #"{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\",\"unit\":\"c\"}"}"#)
            + blockStop(1)
            + ending("tool_use")
        let events: [ChatEvent] = [.text("Checking."), .toolCall(ToolCall(id: "call_1", name: "get_weather", arguments: arguments)), finished()]
        #expect(stream(events) == expected)
    }

    // §5.11: parallel calls get one block each with increasing indexes. §5.22: tool use beats max_tokens.
    @Test func twoToolCalls() {
        let expected = opening
            + blockStart(0, #"{"type":"tool_use","id":"call_a","name":"f","input":{}}"#)
            + delta(0, #"{"type":"input_json_delta","partial_json":"{\"x\":1}"}"#) + blockStop(0)
            + blockStart(1, #"{"type":"tool_use","id":"call_b","name":"g","input":{}}"#)
            + delta(1, #"{"type":"input_json_delta","partial_json":"{}"}"#) + blockStop(1)
            + ending("tool_use", output: 30)
        let events: [ChatEvent] = [
            .toolCall(ToolCall(id: "call_a", name: "f", arguments: .object([JSONMember("x", .number("1"))]))),
            .toolCall(ToolCall(id: "call_b", name: "g", arguments: .object([]))),
            finished(.length, output: 30),
        ]
        #expect(stream(events) == expected)
    }

    // §5.25: thinking after text opens a new thinking block instead of being dropped.
    @Test func interleavedThinkingAfterText() {
        let expected = opening
            + thinkingStart(0) + thinkingDelta(0, "a") + signature(0) + blockStop(0)
            + textStart(1) + textDelta(1, "b") + blockStop(1)
            + thinkingStart(2) + thinkingDelta(2, "c") + signature(2) + blockStop(2)
            + blockStart(3, #"{"type":"tool_use","id":"t","name":"f","input":{}}"#)
            + delta(3, #"{"type":"input_json_delta","partial_json":"{}"}"#) + blockStop(3)
            + thinkingStart(4) + thinkingDelta(4, "d") + signature(4) + blockStop(4)
            + textStart(5) + textDelta(5, "e") + blockStop(5)
            + ending("tool_use")
        let events: [ChatEvent] = [
            .thinking("a"), .text("b"), .thinking("c"), .toolCall(ToolCall(id: "t", name: "f", arguments: .object([]))),
            .thinking("d"), .text("e"), finished(),
        ]
        #expect(stream(events) == expected)
    }

    // §5.27: an empty answer is still a complete message. §5.28: no prompt count ⇒ the estimate.
    @Test func emptyAnswer() {
        #expect(stream([finished(prompt: 0, output: 0)]) == opening + ending("end_turn", input: 42, output: 0))
    }

    @Test func emptyPiecesOpenNoBlock() {
        #expect(stream([.text(""), .thinking(""), finished()]) == opening + ending("end_turn"))
    }

    @Test func lengthWithoutToolsIsMaxTokens() {
        let expected = opening + textStart(0) + textDelta(0, "Once upon") + blockStop(0) + ending("max_tokens", output: 2)
        #expect(stream([.text("Once upon"), finished(.length)]) == expected)
    }

    // §5.29: a failure is one error event and nothing after it — no block stop, no message_stop.
    @Test func failureMidStream() {
        var encoder = AnthropicStreamEncoder(messageID: "msg_test", model: "claude-x", estimatedInputTokens: 42)
        var bytes = encoder.start()
        bytes += encoder.encode(.text("Hel"))
        bytes += encoder.encode(.failed(message: "llama runner process has terminated"))
        let afterwards = encoder.encode(.text("lo")) + encoder.encode(finished())
        let expected = opening + textStart(0) + textDelta(0, "Hel")
            + sse("error", #"{"type":"error","error":{"type":"api_error","message":"llama runner process has terminated"}}"#)
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        #expect(afterwards.isEmpty)
        #expect(!expected.contains("message_stop"))
    }

    @Test func busyFailureIsOverloaded() {
        let text = stream([.failed(message: "server busy, please try again.  maximum pending requests exceeded")])
        #expect(text == opening + sse("error", #"{"type":"error","error":{"type":"overloaded_error","message":"server busy, please try again.  maximum pending requests exceeded"}}"#))
    }

    @Test func nothingAfterFinish() {
        var encoder = AnthropicStreamEncoder(messageID: "msg_test", model: "claude-x", estimatedInputTokens: 1)
        _ = encoder.start()
        _ = encoder.encode(finished())
        #expect(encoder.encode(.text("late")).isEmpty)
        #expect(encoder.encode(.failed(message: "late")).isEmpty)
        #expect(encoder.start().isEmpty)
    }

    @Test func encodeStartsTheMessageWhenStartWasNotCalled() {
        #expect(stream([.text("x"), finished()], callStart: false) == opening + textStart(0) + textDelta(0, "x") + blockStop(0) + ending("end_turn"))
    }

    @Test func keepAliveIsAPingAndContentTypeIsSSE() {
        let encoder = AnthropicStreamEncoder(messageID: "m", model: "x", estimatedInputTokens: 0)
        #expect(String(decoding: encoder.keepAlive(), as: UTF8.self) == "event: ping\ndata: {\"type\":\"ping\"}\n\n")
        #expect(AnthropicStreamEncoder.contentType == "text/event-stream")
    }

    @Test func textIsEscapedInsideOneDataLine() {
        let text = stream([.text("line1\nline2 \"q\" \\ é😀"), finished()])
        #expect(text.contains(#"{"type":"text_delta","text":"line1\nline2 \"q\" \\ é😀"}"#))
    }

    // §5.10: a call Ollama sent without an id still gets one.
    @Test func toolCallWithoutIDGetsOne() throws {
        let frames = try parse(stream([.toolCall(ToolCall(id: "", name: "f", arguments: .object([]))), finished()]))
        let start = try #require(frames.first { $0.type == "content_block_start" })
        let id = try #require(start.data["content_block"]?["id"]?.string)
        #expect(id.hasPrefix("toolu_"))
        #expect(id.count == "toolu_".count + 24)
    }

    // §5.10: calls are never deduplicated by id; each one is its own block.
    @Test func callsWithTheSameIDAreNotDeduplicated() throws {
        let call = ToolCall(id: "call_same", name: "f", arguments: .object([]))
        let frames = try parse(stream([.toolCall(call), .toolCall(call), finished()]))
        #expect(frames.filter { $0.type == "content_block_start" }.map { $0.data["index"]?.int } == [0, 1])
    }

    @Test func messageIDShape() {
        let id = AnthropicID.message()
        #expect(id.hasPrefix("msg_") && id.count == 28)
        #expect(id.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(AnthropicID.message() != id)
    }

    // MARK: Structure (§5.24, §5.26)

    private struct Frame {
        var type: String
        var data: JSON
    }

    /// Splits a stream into frames, requiring `event: X\ndata: {…"type":"X"…}\n\n` for each.
    private func parse(_ text: String) throws -> [Frame] {
        #expect(text.hasSuffix("\n\n"))
        var frames: [Frame] = []
        for raw in text.components(separatedBy: "\n\n").dropLast() {
            let lines = raw.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 2, "a frame is exactly two lines: \(raw)")
            try #require(lines[0].hasPrefix("event: ") && lines[1].hasPrefix("data: "))
            let type = String(lines[0].dropFirst("event: ".count))
            let data = try JSONParser.parse(String(lines[1].dropFirst("data: ".count)))
            #expect(data["type"]?.string == type, "the data's type must equal the event name")
            frames.append(Frame(type: type, data: data))
        }
        return frames
    }

    @Test func inputJSONDeltasConcatenateToTheArgumentsInOrder() throws {
        let arguments = try JSONParser.parse(#"{"path":"/tmp/a b.txt","limit":10,"options":{"z":true,"a":[1,2.50,null]},"note":"é\n\"q\""}"#)
        let events: [ChatEvent] = [
            .thinking("plan"), .text("Reading."),
            .toolCall(ToolCall(id: "toolu_1", name: "read", arguments: arguments)),
            .toolCall(ToolCall(id: "toolu_2", name: "list", arguments: .object([]))),
            finished(),
        ]
        let frames = try parse(stream(events))
        #expect(frames.first?.type == "message_start")
        #expect(frames.last?.type == "message_stop")

        var started: [Int] = []
        var stopped: [Int] = []
        var partial: [Int: String] = [:]
        for frame in frames {
            let index = frame.data["index"]?.int
            switch frame.type {
            case "content_block_start": started.append(try #require(index))
            case "content_block_stop": stopped.append(try #require(index))
            case "content_block_delta":
                let index = try #require(index)
                #expect(started.last == index && !stopped.contains(index), "a delta addresses the open block")
                if let piece = frame.data["delta"]?["partial_json"]?.string { partial[index, default: ""] += piece }
            default: break
            }
        }
        #expect(started == [0, 1, 2, 3], "indexes are contiguous from 0 in start order")
        #expect(stopped == started, "every block is stopped, in order")
        // The SDK re-parses the concatenation; it must be the original object, members in their order.
        let first = try JSONParser.parse(try #require(partial[2]))
        #expect(first == arguments)
        #expect(first.members?.map(\.key) == ["path", "limit", "options", "note"])
        #expect(try JSONParser.parse(try #require(partial[3])) == .object([]))
    }
}
