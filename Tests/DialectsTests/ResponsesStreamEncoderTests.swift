import Foundation
import Locking
import Testing
@testable import Dialects

/// The exact event grammar of ``ResponsesStreamEncoder`` (wire-formats §8.5), and the whole-answer builder.
@Suite("ResponsesStreamEncoder")
struct ResponsesStreamEncoderTests {
    /// Ids `<prefix>_1`, `<prefix>_2`, … so the expected output is fixed.
    static func counterIDs() -> ResponsesIDs {
        let counter = Locked(0)
        return ResponsesIDs { prefix in
            let n = counter.withLock { value in
                value += 1
                return value
            }
            return "\(prefix)_\(n)"
        }
    }

    static func envelope(_ body: String = #"{"model":"qwen3","input":"hi"}"#, kinds: ResponsesToolKinds? = nil) throws -> ResponsesEnvelope {
        let request = try ResponsesRequest(body: ResponsesRequest.body(Array(body.utf8)))
        return ResponsesEnvelope(
            id: "resp_test", createdAt: 1_700_000_000, model: "qwen3", echo: request.echo, toolKinds: kinds ?? request.toolKinds,
            ids: counterIDs(), now: { 1_700_000_005 }
        )
    }

    /// The decoded events of a stream, checking the framing: `event: T\ndata: {"type":T,…}\n\n`, sequence numbers 0, 1, 2….
    static func events(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [[String: Any]] = []
        for frame in text.components(separatedBy: "\n\n").dropLast() {
            let lines = frame.components(separatedBy: "\n")
            try #require(lines.count == 2, "frame must be two lines: \(frame)", sourceLocation: sourceLocation)
            #expect(lines[0].hasPrefix("event: "), sourceLocation: sourceLocation)
            #expect(lines[1].hasPrefix("data: "), sourceLocation: sourceLocation)
            let object = try jsonObject(Array(lines[1].dropFirst(6).utf8), sourceLocation: sourceLocation)
            #expect(object["type"] as? String == String(lines[0].dropFirst(7)), sourceLocation: sourceLocation)
            #expect(object["sequence_number"] as? Int == out.count, sourceLocation: sourceLocation)
            out.append(object)
        }
        #expect(text.hasSuffix("\n\n") || text.isEmpty, sourceLocation: sourceLocation)
        return out
    }

    static func run(_ events: [ChatEvent], envelope: ResponsesEnvelope, onFinish: (@Sendable ([UInt8]) -> Void)? = nil) -> [UInt8] {
        var encoder = ResponsesStreamEncoder(envelope: envelope, onFinish: onFinish)
        var bytes = encoder.start()
        for event in events { bytes += encoder.encode(event) }
        return bytes
    }

    static func finished(_ reason: FinishReason = .stop, prompt: Int = 10, output: Int = 5) -> ChatEvent {
        .finished(Completion(finishReason: reason, usage: Usage(promptTokens: prompt, completionTokens: output)))
    }

    @Test("text: created, in_progress, item and part added, deltas, done events, completed with usage")
    func text() throws {
        let events = try Self.events(Self.run([.text("Hel"), .text("lo"), Self.finished()], envelope: Self.envelope()))
        #expect(
            events.map { $0["type"] as? String ?? "" } == [
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed",
            ]
        )
        let created = try #require(events[0]["response"] as? [String: Any])
        #expect(created["status"] as? String == "in_progress")
        #expect((created["output"] as? [Any])?.isEmpty == true)
        #expect(created["usage"] is NSNull)
        let added = try #require(events[2]["item"] as? [String: Any])
        #expect(added["type"] as? String == "message" && added["status"] as? String == "in_progress")
        #expect((added["content"] as? [Any])?.isEmpty == true)
        #expect(events[4]["delta"] as? String == "Hel" && events[4]["item_id"] as? String == "msg_1")
        #expect(events[4]["output_index"] as? Int == 0 && events[4]["content_index"] as? Int == 0)
        #expect((events[4]["logprobs"] as? [Any])?.isEmpty == true)
        #expect(events[6]["text"] as? String == "Hello")
        let done = try #require(events[8]["item"] as? [String: Any])
        #expect(done["status"] as? String == "completed")
        let part = try #require((done["content"] as? [[String: Any]])?.first)
        #expect(part["type"] as? String == "output_text" && part["text"] as? String == "Hello")
        let completed = try #require(events[9]["response"] as? [String: Any])
        #expect(completed["status"] as? String == "completed")
        #expect(completed["completed_at"] as? Int == 1_700_000_005)
        let usage = try #require(completed["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 10 && usage["output_tokens"] as? Int == 5 && usage["total_tokens"] as? Int == 15)
        #expect((usage["input_tokens_details"] as? [String: Any])?["cache_write_tokens"] as? Int == 0)
        #expect((usage["output_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int == 0)
        #expect((completed["output"] as? [Any])?.count == 1)
    }

    @Test("reasoning, then text, then a tool call: three items in order with their own events; reasoning tokens estimated")
    func reasoningTextCall() throws {
        let call = ToolCall(id: "call_1", name: "get_weather", arguments: try JSONParser.parse(#"{"city":"Tokyo","unit":"c"}"#))
        let events = try Self.events(
            Self.run([.thinking("Let me "), .thinking("think."), .text("Checking."), .toolCall(call), Self.finished()], envelope: Self.envelope())
        )
        #expect(
            events.map { $0["type"] as? String ?? "" } == [
                "response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.completed",
            ]
        )
        #expect(events[2]["output_index"] as? Int == 0 && events[9]["output_index"] as? Int == 1 && events[15]["output_index"] as? Int == 2)
        let reasoning = try #require(events[8]["item"] as? [String: Any])
        #expect(reasoning["encrypted_content"] as? String == "tollgate:Let me think.")
        #expect(((reasoning["summary"] as? [[String: Any]])?.first)?["text"] as? String == "Let me think.")
        let callAdded = try #require(events[15]["item"] as? [String: Any])
        #expect(callAdded["type"] as? String == "function_call" && callAdded["arguments"] as? String == "")
        #expect(callAdded["call_id"] as? String == "call_1")
        // Member order of the arguments survives.
        #expect(events[16]["delta"] as? String == #"{"city":"Tokyo","unit":"c"}"#)
        #expect(events[17]["name"] as? String == "get_weather")
        let completed = try #require(events[19]["response"] as? [String: Any])
        let output = try #require(completed["output"] as? [[String: Any]])
        #expect(output.map { $0["type"] as? String ?? "" } == ["reasoning", "message", "function_call"])
        #expect(output[2]["arguments"] as? String == #"{"city":"Tokyo","unit":"c"}"#)
        // 13 bytes of thinking ≈ 4 tokens, at most the 5 output tokens.
        let usage = try #require(completed["usage"] as? [String: Any])
        #expect((usage["output_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int == 4)
    }

    @Test("thinking resumed after text opens a new reasoning item")
    func thinkingAfterText() throws {
        let events = try Self.events(Self.run([.text("a"), .thinking("b"), Self.finished()], envelope: Self.envelope()))
        let added = events.filter { $0["type"] as? String == "response.output_item.added" }.compactMap { $0["item"] as? [String: Any] }
        #expect(added.map { $0["type"] as? String ?? "" } == ["message", "reasoning"])
    }

    @Test("the token limit: the open item closes incomplete and response.incomplete says max_output_tokens")
    func incomplete() throws {
        let events = try Self.events(Self.run([.text("cut"), Self.finished(.length)], envelope: Self.envelope()))
        #expect(events.last?["type"] as? String == "response.incomplete")
        #expect(!events.contains { $0["type"] as? String == "response.completed" })
        let itemDone = try #require(events.first { $0["type"] as? String == "response.output_item.done" }?["item"] as? [String: Any])
        #expect(itemDone["status"] as? String == "incomplete")
        let response = try #require(events.last?["response"] as? [String: Any])
        #expect(response["status"] as? String == "incomplete")
        #expect((response["incomplete_details"] as? [String: Any])?["reason"] as? String == "max_output_tokens")
    }

    @Test("a mid-stream failure: the open item closes incomplete, then response.failed, never completed, nothing after")
    func failed() throws {
        var encoder = ResponsesStreamEncoder(envelope: try Self.envelope())
        var bytes = encoder.start() + encoder.encode(.text("par")) + encoder.encode(.failed(message: "model runner crashed"))
        let afterwards = encoder.encode(Self.finished()) + encoder.encode(.text("more"))
        #expect(afterwards.isEmpty)
        bytes += afterwards
        let events = try Self.events(bytes)
        #expect(events.last?["type"] as? String == "response.failed")
        #expect(!events.contains { $0["type"] as? String == "response.completed" })
        let itemDone = try #require(events.first { $0["type"] as? String == "response.output_item.done" }?["item"] as? [String: Any])
        #expect(itemDone["status"] as? String == "incomplete")
        let response = try #require(events.last?["response"] as? [String: Any])
        #expect(response["status"] as? String == "failed")
        let error = try #require(response["error"] as? [String: Any])
        #expect(error["code"] as? String == "server_error" && error["message"] as? String == "model runner crashed")
    }

    @Test("context overflow fails with context_length_exceeded")
    func contextOverflow() throws {
        let events = try Self.events(
            Self.run([.failed(message: "the input length exceeds the context length")], envelope: Self.envelope())
        )
        let response = try #require(events.last?["response"] as? [String: Any])
        #expect((response["error"] as? [String: Any])?["code"] as? String == "context_length_exceeded")
    }

    @Test("a custom tool's call is a custom_tool_call with its input string; a namespaced one is split back")
    func customAndNamespacedCalls() throws {
        let body = #"""
            {"model":"m","input":"x","tools":[{"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"start: x"}},
             {"type":"namespace","name":"mcp","tools":[{"type":"function","name":"read","parameters":{"type":"object"}}]}]}
            """#
        let request = try ResponsesRequest(body: ResponsesRequest.body(Array(body.utf8)))
        #expect(request.chat.tools.map(\.name) == ["apply_patch", "mcp.read"])
        let patch = ToolCall(id: "call_p", name: "apply_patch", arguments: try JSONParser.parse(#"{"input":"*** Begin Patch"}"#))
        let read = ToolCall(id: "call_r", name: "mcp.read", arguments: .object([]))
        let events = try Self.events(
            Self.run([.toolCall(patch), .toolCall(read), Self.finished()], envelope: Self.envelope(body, kinds: request.toolKinds))
        )
        #expect(events.contains { $0["type"] as? String == "response.custom_tool_call_input.done" && $0["input"] as? String == "*** Begin Patch" })
        let output = try #require((events.last?["response"] as? [String: Any])?["output"] as? [[String: Any]])
        #expect(output[0]["type"] as? String == "custom_tool_call" && output[0]["input"] as? String == "*** Begin Patch")
        #expect(output[1]["type"] as? String == "function_call" && output[1]["namespace"] as? String == "mcp")
        #expect(output[1]["name"] as? String == "read" && output[1]["arguments"] as? String == "{}")
    }

    @Test("onFinish receives the final response object, the same one response.completed carries")
    func onFinish() throws {
        let captured = Locked<[UInt8]?>(nil)
        let events = try Self.events(
            Self.run([.text("hi"), Self.finished()], envelope: Self.envelope(), onFinish: { bytes in captured.withLock { $0 = bytes } })
        )
        let object = try jsonObject(try #require(captured.withLock { $0 }))
        #expect(object["id"] as? String == "resp_test" && object["status"] as? String == "completed")
        #expect((events.last?["response"] as? [String: Any])?["id"] as? String == "resp_test")
    }

    @Test("the response echoes the request's values, not constants")
    func echo() throws {
        let body = #"""
            {"model":"qwen3","input":"hi","instructions":"Be brief.","temperature":0.2,"top_p":0.9,"max_output_tokens":50,
             "tool_choice":"none","parallel_tool_calls":false,"metadata":{"k":"v"},"user":"u1","store":false,
             "text":{"format":{"type":"json_object"}},"reasoning":{"effort":"low"}}
            """#
        var answer = ResponsesAnswer(envelope: try Self.envelope(body))
        answer.add(.text("{}"))
        answer.add(Self.finished())
        let object = try jsonObject(answer.json())
        #expect(object["object"] as? String == "response" && object["instructions"] as? String == "Be brief.")
        #expect(object["temperature"] as? Double == 0.2 && object["top_p"] as? Double == 0.9)
        #expect(object["max_output_tokens"] as? Int == 50 && object["tool_choice"] as? String == "none")
        #expect(object["parallel_tool_calls"] as? Bool == false && object["store"] as? Bool == false)
        #expect((object["metadata"] as? [String: Any])?["k"] as? String == "v" && object["user"] as? String == "u1")
        #expect(((object["text"] as? [String: Any])?["format"] as? [String: Any])?["type"] as? String == "json_object")
        #expect((object["reasoning"] as? [String: Any])?["effort"] as? String == "low")
        let output = try #require(object["output"] as? [[String: Any]])
        #expect(output.count == 1 && output[0]["status"] as? String == "completed")
    }

    @Test("the whole answer: items in generation order and incomplete on the token limit")
    func wholeAnswer() throws {
        var answer = ResponsesAnswer(envelope: try Self.envelope())
        answer.add(.thinking("hmm"))
        answer.add(.text("so"))
        answer.add(Self.finished(.length))
        let object = try jsonObject(answer.json())
        #expect(object["status"] as? String == "incomplete")
        let output = try #require(object["output"] as? [[String: Any]])
        #expect(output.map { $0["type"] as? String ?? "" } == ["reasoning", "message"])
        #expect(output[1]["status"] as? String == "incomplete")
    }
}
