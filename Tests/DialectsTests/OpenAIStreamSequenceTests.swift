import Testing
@testable import Dialects

/// §3.4 exact chunk sequences, compared as text.
@Suite("OpenAIStreamEncoder sequences")
struct OpenAIStreamSequenceTests {
    private let envelope = OpenAIChatEnvelope(id: "chatcmpl-1", created: 7, model: "m")
    private let head = #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp_tollgate""#

    private func encode(_ events: [ChatEvent], includeUsage: Bool = false) -> String {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: includeUsage)
        var bytes = encoder.start()
        for event in events { bytes += encoder.encode(event) }
        return text(bytes)
    }

    private func call(_ id: String, _ name: String, _ arguments: String) throws -> ChatEvent {
        .toolCall(ToolCall(id: id, name: name, arguments: try JSONParser.parse(arguments)))
    }

    private func finished(_ reason: FinishReason = .stop) -> ChatEvent {
        .finished(Completion(finishReason: reason, usage: Usage(promptTokens: 3, completionTokens: 4)))
    }

    private func delta(_ json: String) -> String { head + #","choices":[{"index":0,"delta":{"# + json + #"},"finish_reason":null}]}"# + "\n\n" }
    private func finish(_ reason: String) -> String { head + #","choices":[{"index":0,"delta":{},"finish_reason":""# + reason + #""}]}"# + "\n\n" }
    private let usage = #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp_tollgate","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"# + "\n\n"
    private let done = "data: [DONE]\n\n"

    @Test func textAnswerWithUsage() {
        #expect(encode([.text("Hel"), .text("lo"), finished()], includeUsage: true) == [
            delta(#""role":"assistant","content":"Hel""#), delta(#""content":"lo""#), finish("stop"), usage, done,
        ].joined())
    }

    @Test func reasoningComesBeforeContentAsSeparateChunks() {  // §5.25
        #expect(encode([.thinking("a"), .text("b"), .thinking("c"), .text("d"), finished()]) == [
            delta(#""role":"assistant","content":"","reasoning":"a""#), delta(#""content":"b""#),
            delta(#""content":"","reasoning":"c""#), delta(#""content":"d""#), finish("stop"), done,
        ].joined())
    }

    @Test func parallelToolCallsGetDistinctStableIndexes() throws {  // §5.11, §5.24
        let events = [
            try call("call_a", "f", #"{"b":1,"a":"x\"y"}"#), try call("call_b", "f", "{}"), try call("call_c", "g", #"{"n":1.0}"#),
            finished(),
        ]
        #expect(encode(events) == [
            delta(#""role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"b\":1,\"a\":\"x\\\"y\"}"}}]"#),
            delta(#""tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"f","arguments":"{}"}}]"#),
            delta(#""tool_calls":[{"index":2,"id":"call_c","type":"function","function":{"name":"g","arguments":"{\"n\":1.0}"}}]"#),
            finish("tool_calls"), done,
        ].joined())
    }

    @Test func textThenToolCallFinishesWithToolCalls() throws {  // §5.22
        #expect(encode([.text("Let me check."), try call("c", "f", "{}"), finished()]).hasSuffix(finish("tool_calls") + done))
    }

    @Test func lengthBeatsToolCalls() throws {  // §5.22 precedence
        #expect(encode([try call("c", "f", "{}"), finished(.length)]).hasSuffix(finish("length") + done))
    }

    @Test func emptyAnswerStillHasRoleFinishAndDone() {  // §5.27
        #expect(encode([finished()]) == [delta(#""role":"assistant","content":"""#), finish("stop"), done].joined())
    }

    @Test func failureIsOneErrorEventAndNothingFollows() {  // §5.29
        let expected = delta(#""role":"assistant","content":"x""#)
            + #"data: {"error":{"message":"runner crashed","type":"api_error","param":null,"code":null}}"# + "\n\n"
        #expect(encode([.text("x"), .failed(message: "runner crashed"), .text("late"), finished()], includeUsage: true) == expected)
    }

    @Test func nothingIsWrittenAfterFinished() {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: false)
        _ = encoder.encode(finished())
        #expect(encoder.encode(.text("late")).isEmpty)
        #expect(encoder.encode(.failed(message: "late")).isEmpty)
        #expect(encoder.encode(finished()).isEmpty)
    }

    @Test func startIsEmptyKeepAliveIsAComment() {  // §5.31
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: true)
        #expect(encoder.start().isEmpty)
        #expect(text(encoder.keepAlive()) == ": keep-alive\n\n")
        #expect(OpenAIStreamEncoder.contentType == "text/event-stream")
    }

    @Test func encoderIsUsableThroughTheProtocol() {
        func run(_ encoder: inout some ChatStreamEncoder, _ events: [ChatEvent]) -> [UInt8] {
            events.reduce(encoder.start()) { $0 + encoder.encode($1) }
        }
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: false)
        #expect(text(run(&encoder, [.text("a"), finished()])) == delta(#""role":"assistant","content":"a""#) + finish("stop") + done)
    }
}

@Suite("OpenAIChatResponse tool calls")
struct OpenAIChatResponseToolCallTests {
    private let envelope = OpenAIChatEnvelope(id: "chatcmpl-9", created: 5, model: "qwen3")

    private func build(_ events: [ChatEvent]) -> String {
        var response = OpenAIChatResponse(envelope: envelope)
        events.forEach { response.add($0) }
        return text(response.json())
    }

    @Test func onlyToolCallsGiveNullContentAndToolCallsReason() throws {  // §5.7
        let arguments = try JSONParser.parse(#"{"city":"Tokyo","days":2}"#)
        let json = build([
            .thinking("need weather"), .toolCall(ToolCall(id: "call_k3x9a2bq", name: "get_weather", arguments: arguments)),
            .toolCall(ToolCall(id: "call_2", name: "noop", arguments: .object([]))),
            .finished(Completion(finishReason: .stop, usage: Usage(promptTokens: 169, completionTokens: 15))),
        ])
        #expect(json == """
            {"id":"chatcmpl-9","object":"chat.completion","created":5,"model":"qwen3","system_fingerprint":"fp_tollgate",\
            "choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning":"need weather","tool_calls":[\
            {"id":"call_k3x9a2bq","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Tokyo\\",\\"days\\":2}"}},\
            {"id":"call_2","type":"function","function":{"name":"noop","arguments":"{}"}}]},"finish_reason":"tool_calls"}],\
            "usage":{"prompt_tokens":169,"completion_tokens":15,"total_tokens":184}}
            """)
    }

    @Test func textWithToolCallsKeepsTheText() throws {
        let object = try jsonObject(Array(build([
            .text("Checking."), .toolCall(ToolCall(id: "c", name: "f", arguments: .object([]))),
            .finished(Completion(finishReason: .length, usage: Usage())),
        ]).utf8))
        let choice = try firstChoice(object)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == "Checking.")
        #expect(choice["finish_reason"] as? String == "length", "length beats tool_calls")
    }

    @Test func conformsToTheAnswerBuilderContract() {
        func collect(_ builder: inout some ChatAnswerBuilder, _ events: [ChatEvent]) -> (Completion?, String?) {
            events.forEach { builder.add($0) }
            return (builder.completion, builder.failure)
        }
        var response = OpenAIChatResponse(envelope: envelope)
        let (completion, failure) = collect(&response, [.text("a"), .failed(message: "gone")])
        #expect(completion == nil)
        #expect(failure == "gone")
    }
}
