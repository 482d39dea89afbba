import Testing
@testable import Dialects

@Suite("AnthropicMessageResponse")
struct AnthropicMessageResponseTests {
    private func build(_ events: [ChatEvent], estimate: Int = 42) -> AnthropicMessageResponse {
        var builder = AnthropicMessageResponse(messageID: "msg_1", model: "claude-x", estimatedInputTokens: estimate)
        for event in events { builder.add(event) }
        return builder
    }

    private func text(_ builder: AnthropicMessageResponse) -> String { String(decoding: builder.json(), as: UTF8.self) }

    private func finished(_ reason: FinishReason = .stop, prompt: Int = 169, output: Int = 15) -> ChatEvent {
        .finished(Completion(finishReason: reason, usage: Usage(promptTokens: prompt, completionTokens: output)))
    }

    @Test func thinkingTextAndToolUse() throws {
        let arguments = try JSONParser.parse(#"{"city":"Tokyo","days":3}"#)
        let builder = build([
            .thinking("Need "), .thinking("weather."), .text("Check"), .text("ing."),
            .toolCall(ToolCall(id: "call_1", name: "get_weather", arguments: arguments)), finished(),
        ])
        let expected =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"thinking","thinking":"Need weather.","signature":""},{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Tokyo","days":3}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":169,"output_tokens":15}}"#
        #expect(text(builder) == expected)
        #expect(builder.completion == Completion(finishReason: .stop, usage: Usage(promptTokens: 169, completionTokens: 15)))
        #expect(builder.failure == nil)
    }

    @Test func textOnlyEndTurn() {
        let expected =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hello \"you\"\n"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":169,"output_tokens":15}}"#
        #expect(text(build([.text("Hello "), .text("\"you\"\n"), finished()])) == expected)
    }

    @Test func lengthIsMaxTokensUnlessToolsWereCalled() {
        #expect(text(build([.text("Once"), finished(.length)])).contains(#""stop_reason":"max_tokens""#))
        let withTool = build([.toolCall(ToolCall(id: "c", name: "f", arguments: .object([]))), finished(.length)])
        #expect(text(withTool).contains(#""stop_reason":"tool_use""#))
        #expect(text(withTool).contains(#"{"type":"tool_use","id":"c","name":"f","input":{}}"#))
    }

    // §5.27: an empty answer has no blocks; §5.28: a missing prompt count falls back to the estimate.
    @Test func emptyAnswer() {
        let expected =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":42,"output_tokens":0}}"#
        #expect(text(build([.text(""), finished(prompt: 0, output: 0)])) == expected)
    }

    // §5.25: thinking after text stays a block of its own, in arrival order.
    @Test func interleavedBlocksKeepArrivalOrder() {
        let body = text(build([.text("a"), .thinking("b"), .text("c"), finished()]))
        #expect(body.contains(#""content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"b","signature":""},{"type":"text","text":"c"}]"#))
    }

    @Test func toolCallWithoutIDGetsOne() throws {
        let body = build([.toolCall(ToolCall(id: "", name: "f", arguments: .object([]))), finished()]).json()
        let json = try JSONParser.parse(body)
        let id = try #require(json["content"]?.array?.first?["id"]?.string)
        #expect(id.hasPrefix("toolu_") && id.count == 30)
    }

    @Test func failureIsReportedAndLaterEventsIgnored() {
        let builder = build([.text("Hel"), .failed(message: "runner crashed"), finished()])
        #expect(builder.failure == "runner crashed")
        #expect(builder.completion == nil)
    }

    @Test func outputIsValidJSON() throws {
        let body = build([.thinking("t"), .text("x"), .toolCall(ToolCall(id: "c", name: "f", arguments: .object([]))), finished()]).json()
        let json = try JSONParser.parse(body)
        #expect(json["content"]?.array?.count == 3)
        #expect(json["stop_sequence"] == .null)
    }
}

@Suite("Anthropic error bodies")
struct AnthropicErrorBodyTests {
    @Test func requestErrorsRenderInAnthropicShape() throws {
        let error: DialectError
        do {
            _ = try AnthropicMessagesRequest(body: Array(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#.utf8))
            Issue.record("a request without max_tokens must be refused")
            return
        } catch let refusal {
            error = refusal
        }
        #expect(error.status == 400)
        #expect(
            String(decoding: Dialect.anthropic.errorJSON(error), as: UTF8.self)
                == #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens is required and must be positive"}}"#
        )
    }

    @Test(arguments: [
        (DialectError.Kind.invalidRequest, "invalid_request_error"), (.authentication, "authentication_error"),
        (.permission, "permission_error"), (.notFound, "not_found_error"), (.payloadTooLarge, "request_too_large"),
        (.rateLimited, "rate_limit_error"), (.internalError, "api_error"), (.overloaded, "overloaded_error"),
        (.upstreamTimeout, "timeout_error"),
    ])
    func errorTypes(_ kind: DialectError.Kind, _ type: String) {
        let body = String(decoding: AnthropicErrorBody.json(DialectError(kind, "m \"q\"")), as: UTF8.self)
        #expect(body == #"{"type":"error","error":{"type":"\#(type)","message":"m \"q\""}}"#)
    }

    @Test func streamErrorEvent() {
        let event = String(decoding: AnthropicStreamEncoder.errorEvent(message: "boom"), as: UTF8.self)
        #expect(event == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}\n\n")
    }
}

@Suite("Anthropic count_tokens")
struct AnthropicCountTokensTests {
    private func count(_ body: String) throws(DialectError) -> AnthropicCountTokensRequest {
        try AnthropicCountTokensRequest(body: Array(body.utf8))
    }

    // 3 (reply) + 4 (one message) + ceil(12 bytes / 4) = 10.
    @Test func oneShortMessage() throws {
        let request = try count(#"{"model":"m","messages":[{"role":"user","content":"Hello, world"}]}"#)
        #expect(request.inputTokens == 10)
        #expect(String(decoding: request.responseJSON(), as: UTF8.self) == #"{"input_tokens":10}"#)
    }

    // bytes: "Hello, world" 12 + "abcd" 4 + tool "f" 1 + `{"type":"object"}` 17 = 34 → 9;
    // tokens: 3 + 2 messages × 4 + 1 tool × 10 + 9 = 30.
    @Test func systemAndTools() throws {
        let body = #"{"model":"m","system":[{"type":"text","text":"abcd"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Hello, world"}]}"#
        #expect(try count(body).inputTokens == 30)
    }

    // bytes: "Go" 2 + "read" 4 + `{"p":1}` 7 + result "ok" 2 + tool name "read" 4 = 19 → 5;
    // tokens: 3 + 3 messages × 4 + 1 call × 6 + 1 image × 1600 + 5 = 1626.
    @Test func toolUseToolResultAndImage() throws {
        let body = #"""
        {"model":"m","messages":[
          {"role":"user","content":[{"type":"text","text":"Go"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
          {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"read","input":{"p":1}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}
        """#
        #expect(try count(body).inputTokens == 1626)
    }

    // UTF-8 bytes, not characters: "日本語" is 9 bytes → 3 tokens, where characters / 4 would give 1.
    @Test func multiByteTextCountsBytes() throws {
        #expect(try count(#"{"model":"m","messages":[{"role":"user","content":"日本語"}]}"#).inputTokens == 3 + 4 + 3)
    }

    @Test func maxTokensIsNotRequiredButModelAndMessagesAre() {
        #expect(throws: Never.self) { try count(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#) }
        #expect(throws: DialectError(.invalidRequest, "model is required", param: "model")) {
            try count(#"{"messages":[{"role":"user","content":"x"}]}"#)
        }
        #expect(throws: DialectError(.invalidRequest, "messages is required", param: "messages")) {
            try count(#"{"model":"m"}"#)
        }
    }

    @Test func sameEstimateAsTheMessagesRequest() throws {
        let prompt = #""model":"m","system":"You are terse.","messages":[{"role":"user","content":"Summarize the plan in three bullet points."}]"#
        let counted = try count("{\(prompt)}").inputTokens
        let messages = try AnthropicMessagesRequest(body: Array("{\(prompt),\"max_tokens\":100}".utf8))
        #expect(counted == messages.estimatedInputTokens)
    }

    @Test func toolChoiceNoneRemovesToolsFromTheCount() throws {
        let tools = #""tools":[{"name":"f","description":"A long description of the tool.","input_schema":{"type":"object"}}]"#
        let with = try count(#"{"model":"m",\#(tools),"messages":[{"role":"user","content":"x"}]}"#).inputTokens
        let without = try count(#"{"model":"m",\#(tools),"tool_choice":{"type":"none"},"messages":[{"role":"user","content":"x"}]}"#).inputTokens
        #expect(with > without)
    }
}

@Suite("AnthropicModelList")
struct AnthropicModelListTests {
    @Test func list() {
        let models = [
            AnthropicModelList.Model(id: "llama3.2:latest", created: 1_700_000_000),
            AnthropicModelList.Model(id: "qwen3", created: 0, displayName: "Qwen 3"),
        ]
        let expected =
            #"{"data":[{"type":"model","id":"llama3.2:latest","display_name":"llama3.2:latest","created_at":"2023-11-14T22:13:20Z"},{"type":"model","id":"qwen3","display_name":"Qwen 3","created_at":"1970-01-01T00:00:00Z"}],"has_more":false,"first_id":"llama3.2:latest","last_id":"qwen3"}"#
        #expect(String(decoding: AnthropicModelList.json(models), as: UTF8.self) == expected)
    }

    @Test func emptyList() {
        #expect(String(decoding: AnthropicModelList.json([]), as: UTF8.self) == #"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#)
    }

    @Test func singleModel() {
        let body = AnthropicModelList.json(model: .init(id: "claude-sonnet-4-5", created: 1_709_164_800, displayName: "Local Sonnet"))
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"type":"model","id":"claude-sonnet-4-5","display_name":"Local Sonnet","created_at":"2024-02-29T00:00:00Z"}"#
        )
    }

    @Test(arguments: [
        (951_782_400, "2000-02-29T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (4_102_444_800, "2100-01-01T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
    ])
    func rfc3339(_ seconds: Int, _ expected: String) {
        #expect(AnthropicModelList.rfc3339(seconds) == expected)
    }
}
