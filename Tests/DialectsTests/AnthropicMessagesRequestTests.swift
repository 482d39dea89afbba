import Foundation
import Testing
@testable import Dialects

@Suite("AnthropicMessagesRequest")
struct AnthropicMessagesRequestTests {
    /// Decodes `body` (JSON text) as a `/v1/messages` request.
    private func decode(_ body: String) throws(DialectError) -> AnthropicMessagesRequest {
        try AnthropicMessagesRequest(body: Array(body.utf8))
    }

    /// A minimal valid body with `extra` members appended (`"system":"x"`) and the given messages.
    private func body(_ extra: String = "", messages: String = #"[{"role":"user","content":"Hi"}]"#) -> String {
        #"{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":\#(messages)\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    private func chat(_ extra: String = "", messages: String = #"[{"role":"user","content":"Hi"}]"#) throws -> ChatRequest {
        try decode(body(extra, messages: messages)).chat
    }

    private func refusal(_ body: String) -> DialectError? {
        do {
            _ = try decode(body)
            return nil
        } catch {
            return error
        }
    }

    // MARK: §4.1 top-level fields

    @Test func minimalRequest() throws {
        let request = try decode(body())
        #expect(request.chat.model == "claude-sonnet-4-5")
        #expect(request.chat.messages == [ChatMessage(role: .user, content: "Hi")])
        #expect(request.chat.options == GenerationOptions(maxTokens: 1024))
        #expect(request.chat.tools.isEmpty)
        #expect(request.chat.think == nil)
        #expect(request.chat.format == nil)
        // §5.1: stream absent ⇒ false (Anthropic's default, unlike Ollama's).
        #expect(request.stream == false)
        #expect(request.chat.stream == false)
    }

    @Test func streamFlag() throws {
        #expect(try decode(body(#""stream":true"#)).stream == true)
        #expect(try decode(body(#""stream":false"#)).stream == false)
        #expect(try decode(body(#""stream":null"#)).stream == false)
        #expect(refusal(body(#""stream":"yes""#)) == DialectError(.invalidRequest, "stream must be a boolean", param: "stream"))
    }

    @Test func modelIsRequired() {
        let expected = DialectError(.invalidRequest, "model is required", param: "model")
        #expect(refusal(#"{"max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#) == expected)
        #expect(refusal(#"{"model":"","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#) == expected)
        #expect(refusal(#"{"model":7,"max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#) == expected)
    }

    // §5.2: Anthropic's max_tokens is required and becomes num_predict.
    @Test(arguments: [#""max_tokens":0,"#, #""max_tokens":-3,"#, "", #""max_tokens":"100","#, #""max_tokens":1.5,"#])
    func maxTokensIsRequiredAndPositive(_ member: String) {
        let text = #"{"model":"m",\#(member)"messages":[{"role":"user","content":"Hi"}]}"#
        #expect(refusal(text) == DialectError(.invalidRequest, "max_tokens is required and must be positive", param: "max_tokens"))
    }

    @Test func messagesAreRequired() {
        let expected = DialectError(.invalidRequest, "messages is required", param: "messages")
        #expect(refusal(#"{"model":"m","max_tokens":5}"#) == expected)
        #expect(refusal(#"{"model":"m","max_tokens":5,"messages":[]}"#) == expected)
        #expect(refusal(#"{"model":"m","max_tokens":5,"messages":{}}"#) == DialectError(.invalidRequest, "messages must be an array", param: "messages"))
    }

    @Test func bodyMustBeAJSONObject() {
        #expect(refusal("") == DialectError(.invalidRequest, "missing request body"))
        #expect(refusal("[1]") == DialectError(.invalidRequest, "The request body must be a JSON object."))
        let broken = refusal(#"{"model":"m","#)
        #expect(broken?.kind == .invalidRequest)
        #expect(broken?.message.hasPrefix("The request body is not valid JSON: ") == true)
    }

    // §5.3: sampling options only when present; no forced defaults.
    @Test func samplingOptions() throws {
        let options = try chat(#""temperature":0.2,"top_p":0.9,"top_k":40,"stop_sequences":["\n\nHuman:","END"]"#).options
        #expect(options == GenerationOptions(maxTokens: 1024, temperature: 0.2, topP: 0.9, topK: 40, stop: ["\n\nHuman:", "END"]))
        #expect(try chat(#""stop_sequences":[]"#).options.stop == nil)
        #expect(refusal(body(#""temperature":"hot""#)) == DialectError(.invalidRequest, "temperature must be a number", param: "temperature"))
        #expect(refusal(body(#""top_k":1.5"#)) == DialectError(.invalidRequest, "top_k must be an integer", param: "top_k"))
        #expect(
            refusal(body(#""stop_sequences":"END""#))
                == DialectError(.invalidRequest, "stop_sequences must be an array of strings", param: "stop_sequences")
        )
    }

    @Test func ignoredFields() throws {
        let extra = #""metadata":{"user_id":"u1"},"service_tier":"auto","container":null,"context_management":{"edits":[]},"unknown":[1,2]"#
        // metadata.user_id names the end user (never sent to Ollama); the rest is ignored.
        var expected = try chat()
        expected.endUser = "u1"
        #expect(try chat(extra) == expected)
    }

    // MARK: system (§5.4, §5.5)

    @Test func systemString() throws {
        #expect(try chat(#""system":"Be brief.""#).messages == [
            ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi"),
        ])
        #expect(try chat(#""system":"""#).messages == [ChatMessage(role: .user, content: "Hi")], "empty system adds nothing")
    }

    // §5.4: Ollama joins system blocks with no separator; Tollgate uses a newline.
    @Test func systemBlocksAreJoinedWithNewlines() throws {
        let system = #""system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"image","source":{}},{"type":"text","text":"Be careful."}]"#
        #expect(try chat(system).messages.first == ChatMessage(role: .system, content: "You are Claude Code.\nBe careful."))
    }

    // §5.5: Claude Code's billing line changes every request; it is dropped.
    @Test func billingHeaderBlockIsDropped() throws {
        let system = #""system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.3; cch=9f2a;"},{"type":"text","text":"You are Claude Code."}]"#
        #expect(try chat(system).messages.first == ChatMessage(role: .system, content: "You are Claude Code."))
        let only = #""system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.3;"}]"#
        #expect(try chat(only).messages == [ChatMessage(role: .user, content: "Hi")])
    }

    @Test func systemOfTheWrongTypeIsRefused() {
        #expect(
            refusal(body(#""system":42"#))
                == DialectError(.invalidRequest, "system must be a string or an array of text blocks", param: "system")
        )
    }

    @Test func systemRoleMessageMidConversation() throws {
        let messages = #"[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"system","content":[{"type":"text","text":"Switch to French."}]},{"role":"user","content":"Bye"}]"#
        #expect(try chat(messages: messages).messages == [
            ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .assistant, content: "Hello"),
            ChatMessage(role: .system, content: "Switch to French."), ChatMessage(role: .user, content: "Bye"),
        ])
    }

    @Test func midConversationSystemBlockFollowsItsTurn() throws {
        let messages = #"[{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"mid_conv_system","content":[{"type":"text","text":"Skills: none."}]}]}]"#
        #expect(try chat(messages: messages).messages == [
            ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .system, content: "Skills: none."),
        ])
    }

    @Test func unknownRoleIsRefused() {
        let messages = #"[{"role":"developer","content":"Hi"}]"#
        #expect(
            refusal(body(messages: messages))
                == DialectError(.invalidRequest, "messages[0].role must be one of user, assistant or system", param: "messages[0].role")
        )
        #expect(
            refusal(body(messages: #"[{"role":"user"}]"#))
                == DialectError(.invalidRequest, "messages[0].content is required", param: "messages[0].content")
        )
    }

    // MARK: §4.2 content blocks

    // §5.6: text blocks are merged into one string; Ollama glues them with nothing.
    @Test func textBlocksAreJoinedWithNewlines() throws {
        let messages = #"[{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},{"type":"text","text":"What now?"}]}]"#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .user, content: "<system-reminder>ctx</system-reminder>\nWhat now?")])
    }

    // §5.13: base64 images become bare base64; url sources are a 400.
    @Test func base64ImageAndTextMerge() throws {
        let messages = #"[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"What is this?"}]}]"#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .user, content: "What is this?", images: ["iVBORw0KGgo="])])
    }

    @Test func dataURLPrefixIsStripped() throws {
        let messages = #"[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"data:image/png;base64,AAAA"}}]}]"#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .user, content: "", images: ["AAAA"])])
    }

    @Test func urlImageIsKeptAsRemote() throws {
        let messages = #"[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]"#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .user, content: "x", images: [.remote("https://example.com/a.png")])])
    }

    @Test func nonHTTPURLAndOtherSourcesAreRefused() {
        let ftp = #"[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"ftp://example.com/a.png"}}]}]"#
        #expect(
            refusal(body(messages: ftp))
                == DialectError(.invalidRequest, "image source url must be an http or https URL", param: "messages[0].content[0].source.url")
        )
        let file = #"[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]"#
        #expect(
            refusal(body(messages: file))
                == DialectError(
                    .invalidRequest, "invalid image source type: file. Only base64 and url images are supported.",
                    param: "messages[0].content[0].source.type"
                )
        )
    }

    @Test func imageWithoutSourceIsRefused() {
        let messages = #"[{"role":"user","content":[{"type":"image"}]}]"#
        #expect(
            refusal(body(messages: messages))
                == DialectError(.invalidRequest, "image source is required", param: "messages[0].content[0].source")
        )
    }

    // §5.7, §5.9: an assistant turn of only tool_use blocks; input keeps member order and number text.
    @Test func toolUseBecomesToolCallsWithOrderedInput() throws {
        let messages = #"[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"zeta":1.50,"alpha":{"b":2,"a":1}}}]}]"#
        let assistant = try #require(try chat(messages: messages).messages.last)
        #expect(assistant.role == .assistant)
        #expect(assistant.content == "")
        try #require(assistant.toolCalls.count == 1)
        #expect(assistant.toolCalls[0].id == "toolu_01")
        #expect(assistant.toolCalls[0].name == "get_weather")
        #expect(assistant.toolCalls[0].arguments.text == #"{"zeta":1.50,"alpha":{"b":2,"a":1}}"#)
    }

    @Test func toolUseWithoutInputHasEmptyArguments() throws {
        let messages = #"[{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"now"}]}]"#
        #expect(try chat(messages: messages).messages.first?.toolCalls.first?.arguments == .object([]))
    }

    @Test func toolUseNeedsIdAndName() {
        let noID = #"[{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]"#
        #expect(refusal(body(messages: noID)) == DialectError(.invalidRequest, "tool_use block requires an id", param: "messages[0].content[0].id"))
        let noName = #"[{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"t1","input":{}}]}]"#
        #expect(refusal(body(messages: noName)) == DialectError(.invalidRequest, "tool_use block requires a name", param: "messages[0].content[1].name"))
        let badInput = #"[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":"{}"}]}]"#
        #expect(refusal(body(messages: badInput)) == DialectError(.invalidRequest, "tool_use input must be an object", param: "messages[0].content[0].input"))
    }

    // §5.8: tool results come before the user's own text, carry the call id, and get the tool's name.
    @Test func toolResultComesBeforeTheUsersText() throws {
        let messages = #"""
        [{"role":"user","content":"Weather in Paris and Rome?"},
         {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"toolu_B","name":"get_time","input":{"city":"Rome"}}]},
         {"role":"user","content":[{"type":"text","text":"<system-reminder>be quick</system-reminder>"},{"type":"tool_result","tool_use_id":"toolu_A","content":"18°C"},{"type":"tool_result","tool_use_id":"toolu_B","content":[{"type":"text","text":"14:00"},{"type":"text","text":"CEST"}]}]}]
        """#
        let native = try chat(messages: messages).messages
        #expect(native.map(\.role) == [.user, .assistant, .tool, .tool, .user])
        #expect(native[1].content == "Checking.")
        #expect(native[1].toolCalls.map(\.id) == ["toolu_A", "toolu_B"])
        #expect(native[2] == ChatMessage(role: .tool, content: "18°C", toolName: "get_weather", toolCallID: "toolu_A"))
        #expect(native[3] == ChatMessage(role: .tool, content: "14:00\nCEST", toolName: "get_time", toolCallID: "toolu_B"))
        #expect(native[4] == ChatMessage(role: .user, content: "<system-reminder>be quick</system-reminder>"))
    }

    @Test func toolResultContentShapes() throws {
        let messages = #"""
        [{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"shot","input":{}},{"type":"tool_use","id":"t2","name":"noop","input":{}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"see image"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},{"type":"document","source":{}}]},{"type":"tool_result","tool_use_id":"t2"},{"type":"tool_result","tool_use_id":"unknown","content":"late"}]}]
        """#
        let native = try chat(messages: messages).messages
        #expect(native.count == 4, "a user turn of only tool results yields no user message")
        #expect(native[1] == ChatMessage(role: .tool, content: "see image", images: ["/9j/4AAQ"], toolName: "shot", toolCallID: "t1"))
        #expect(native[2] == ChatMessage(role: .tool, content: "", toolName: "noop", toolCallID: "t2"))
        #expect(native[3] == ChatMessage(role: .tool, content: "late", toolName: nil, toolCallID: "unknown"))
    }

    // §5.8: is_error is not lost.
    @Test func toolResultErrorIsPrefixed() throws {
        let messages = #"[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"read","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"file not found","is_error":true}]}]"#
        #expect(try chat(messages: messages).messages.last?.content == "Error: file not found")
        let falseFlag = messages.replacingOccurrences(of: #""is_error":true"#, with: #""is_error":false"#)
        #expect(try chat(messages: falseFlag).messages.last?.content == "file not found")
        let empty = #"[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"read","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true}]}]"#
        #expect(try chat(messages: empty).messages.last == ChatMessage(role: .tool, content: "Error", toolName: "read", toolCallID: "t1"))
    }

    // §5.32: every translation refusal is a 400, which SDKs do not retry.
    @Test func refusalsAreClientErrors() {
        let bodies = [body(#""temperature":"x""#), body(messages: #"[{"role":"user","content":5}]"#), #"{"model":"m"}"#, "{"]
        for text in bodies {
            #expect(refusal(text)?.status == 400, "\(text)")
        }
    }

    @Test func toolResultNeedsAToolUseID() {
        let messages = #"[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]"#
        #expect(
            refusal(body(messages: messages))
                == DialectError(.invalidRequest, "tool_result block requires a tool_use_id", param: "messages[0].content[0].tool_use_id")
        )
    }

    // §5.14: replayed thinking is kept (signature dropped); redacted thinking is accepted and dropped.
    @Test func thinkingBlocksBecomeMessageThinking() throws {
        let messages = #"[{"role":"user","content":"2+2?"},{"role":"assistant","content":[{"type":"thinking","thinking":"Add them.","signature":"EqQBCkYI"},{"type":"redacted_thinking","data":"xyz"},{"type":"thinking","thinking":"It is 4.","signature":"Zm9v"},{"type":"text","text":"4"}]}]"#
        #expect(try chat(messages: messages).messages.last == ChatMessage(role: .assistant, content: "4", thinking: "Add them.\nIt is 4."))
    }

    @Test func thinkingOnlyTurnStillYieldsAMessage() throws {
        let messages = #"[{"role":"assistant","content":[{"type":"thinking","thinking":"Hmm.","signature":"s"}]}]"#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .assistant, content: "", thinking: "Hmm.")])
    }

    @Test func unsupportedBlocksAreDroppedAndEmptyTurnsVanish() throws {
        let messages = #"""
        [{"role":"user","content":[{"type":"document","source":{"type":"text","data":"doc"}},{"type":"search_result","source":"s","title":"t","content":[]}]},
         {"role":"assistant","content":[{"type":"redacted_thinking","data":"abc"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]},
         {"role":"assistant","content":""},
         {"role":"user","content":[{"type":"future_block","x":1},{"type":"text","text":"Go"}]}]
        """#
        #expect(try chat(messages: messages).messages == [ChatMessage(role: .user, content: "Go")])
    }

    @Test func contentOfTheWrongTypeIsRefused() {
        #expect(
            refusal(body(messages: #"[{"role":"user","content":5}]"#))
                == DialectError(.invalidRequest, "messages[0].content must be a string or an array of content blocks", param: "messages[0].content")
        )
        #expect(
            refusal(body(messages: #"[{"role":"user","content":[{"text":"no type"}]}]"#))
                == DialectError(.invalidRequest, "messages[0].content[0].type is required", param: "messages[0].content[0].type")
        )
        #expect(
            refusal(body(messages: #"[{"role":"user","content":[{"type":"text"}]}]"#))
                == DialectError(.invalidRequest, "messages[0].content[0].text must be a string", param: "messages[0].content[0].text")
        )
    }

    // MARK: tools and tool_choice (§5.12)

    private let tools = #"""
    "tools":[{"name":"get_weather","description":"Weather by city","input_schema":{"type":"object","properties":{"city":{"type":"string","minLength":1}},"required":["city"],"additionalProperties":false}},
             {"type":"custom","name":"get_time","input_schema":{"type":"object"}},
             {"type":"web_search_20250305","name":"web_search","max_uses":5},
             {"type":"bash_20250124","name":"bash"}]
    """#

    @Test func customToolsKeepTheirSchemaServerToolsAreDropped() throws {
        let mapped = try chat(tools).tools
        #expect(mapped.map(\.name) == ["get_weather", "get_time"])
        #expect(mapped[0].description == "Weather by city")
        #expect(
            mapped[0].parameters.text
                == #"{"type":"object","properties":{"city":{"type":"string","minLength":1}},"required":["city"],"additionalProperties":false}"#
        )
        #expect(mapped[1].description == nil)
    }

    @Test func toolChoiceNoneDropsTools() throws {
        #expect(try chat(tools + #","tool_choice":{"type":"none"}"#).tools.isEmpty)
    }

    @Test func toolChoiceToolFiltersToTheNamedTool() throws {
        #expect(try chat(tools + #","tool_choice":{"type":"tool","name":"get_time"}"#).tools.map(\.name) == ["get_time"])
        #expect(try chat(tools + #","tool_choice":{"type":"tool","name":"missing"}"#).tools.count == 2, "an unknown name keeps every tool")
    }

    @Test func toolChoiceAutoAndAnyKeepTools() throws {
        #expect(try chat(tools + #","tool_choice":{"type":"auto","disable_parallel_tool_use":true}"#).tools.count == 2)
        #expect(try chat(tools + #","tool_choice":{"type":"any"}"#).tools.count == 2)
    }

    @Test func toolWithoutSchemaOrNameIsRefused() {
        #expect(
            refusal(body(#""tools":[{"name":"f"}]"#))
                == DialectError(.invalidRequest, "invalid input_schema for tool \"f\": expected a JSON object", param: "tools[0].input_schema")
        )
        #expect(refusal(body(#""tools":[{"input_schema":{}}]"#)) == DialectError(.invalidRequest, "tools[0].name is required", param: "tools[0].name"))
    }

    // MARK: thinking (§5.14)

    @Test(arguments: [
        (#""thinking":{"type":"enabled","budget_tokens":2048}"#, Think.enabled(true)),
        (#""thinking":{"type":"disabled"}"#, Think.enabled(false)),
        (#""thinking":{"type":"disabled"},"output_config":{"effort":"high"}"#, Think.enabled(false)),
        (#""thinking":{"type":"enabled","budget_tokens":1024},"output_config":{"effort":"low"}"#, Think.enabled(true)),
        (#""thinking":{"type":"adaptive"},"output_config":{"effort":"medium"}"#, Think.level("medium")),
        (#""output_config":{"effort":"low"}"#, Think.level("low")),
        (#""output_config":{"effort":"high"}"#, Think.level("high")),
        (#""output_config":{"effort":"max"}"#, Think.level("high")),
        (#""output_config":{"effort":"xhigh"}"#, Think.level("high")),
    ])
    func thinkingAndEffort(_ extra: String, _ expected: Think) throws {
        #expect(try chat(extra).think == expected)
    }

    @Test func adaptiveThinkingLeavesOllamasDefault() throws {
        #expect(try chat(#""thinking":{"type":"adaptive"}"#).think == nil)
        #expect(try chat(#""output_config":{"effort":"extreme"}"#).think == nil)
    }

    @Test func outputFormatSchema() throws {
        let format = try chat(#""output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}"#).format
        #expect(format == .schema(try JSONParser.parse(#"{"type":"object","properties":{"a":{"type":"integer"}}}"#)))
    }

    // MARK: estimate

    @Test func estimatedInputTokensMatchesTheStaticEstimate() throws {
        let request = try decode(body(#""system":"Be brief.""#))
        #expect(request.estimatedInputTokens == AnthropicMessagesRequest.estimateInputTokens(request.chat))
        #expect(request.estimatedInputTokens > 0)
    }
}
