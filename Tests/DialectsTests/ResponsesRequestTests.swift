import Testing
@testable import Dialects

@Suite("ResponsesRequest")
struct ResponsesRequestTests {
    private func decode(_ json: String, history: [JSON] = []) throws(DialectError) -> ResponsesRequest {
        try ResponsesRequest(body: ResponsesRequest.body(Array(json.utf8)), history: history)
    }

    @Test("a string input is one user message; instructions come first as system; options map to Ollama's")
    func stringInput() throws {
        let request = try decode(
            #"{"model":"qwen3","input":"Hi","instructions":"Be brief.","max_output_tokens":64,"temperature":0.5,"top_p":0.8,"stop":["END"],"stream":true}"#
        )
        #expect(request.chat.messages == [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi")])
        #expect(request.chat.stream)
        #expect(request.chat.options == GenerationOptions(maxTokens: 64, temperature: 0.5, topP: 0.8, stop: ["END"]))
        #expect(request.input.count == 1)
        #expect(request.input[0]["type"]?.string == "message" && request.input[0]["id"]?.string?.hasPrefix("msg_") == true)
        #expect(request.echo.store)
    }

    @Test("absent temperature and top_p stay unset (the Modelfile decides)")
    func samplingUnset() throws {
        let request = try decode(#"{"model":"m","input":"x"}"#)
        #expect(request.chat.options.temperature == nil && request.chat.options.topP == nil)
    }

    @Test("items: developer message, image, a function call round trip and reasoning become native messages")
    func items() throws {
        let json = #"""
            {"model":"m","input":[
              {"role":"developer","content":"Rules."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Look"},{"type":"input_text","text":"here"},
                {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]},
              {"type":"reasoning","summary":[{"type":"summary_text","text":"thinking it over"}]},
              {"type":"function_call","call_id":"call_9","name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":2}"},
              {"type":"function_call_output","call_id":"call_9","output":"sunny"}
            ]}
            """#
        let request = try decode(json)
        let messages = request.chat.messages
        #expect(messages.count == 4)
        #expect(messages[0] == ChatMessage(role: .system, content: "Rules."))
        #expect(messages[1].content == "Look\nhere" && messages[1].images == ["iVBORw0KGgo="])
        #expect(messages[2].role == .assistant && messages[2].thinking == "thinking it over")
        #expect(messages[2].toolCalls.first?.id == "call_9")
        #expect(messages[2].toolCalls.first?.arguments.text == #"{"city":"Paris","days":2}"#)
        #expect(messages[3] == ChatMessage(role: .tool, content: "sunny", toolName: "get_weather", toolCallID: "call_9"))
        // Every stored item has an id; ids sent are kept.
        #expect(request.input.allSatisfy { $0["id"]?.string != nil })
    }

    @Test("Tollgate's own encrypted_content is read back as the thinking")
    func encryptedContent() throws {
        let request = try decode(
            #"{"model":"m","input":[{"type":"reasoning","summary":[],"encrypted_content":"tollgate:deep thought"},{"role":"assistant","content":"42"},{"role":"user","content":"why?"}]}"#
        )
        #expect(request.chat.messages[0] == ChatMessage(role: .assistant, content: "42", thinking: "deep thought"))
    }

    @Test("history from previous_response_id comes before the new input, after the instructions")
    func history() throws {
        let history = [
            try JSONParser.parse(#"{"id":"msg_a","type":"message","role":"user","content":[{"type":"input_text","text":"My name is Ada."}]}"#),
            try JSONParser.parse(#"{"id":"msg_b","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hello Ada.","annotations":[]}]}"#),
        ]
        let request = try decode(#"{"model":"m","instructions":"Sys","input":"What is my name?"}"#, history: history)
        #expect(request.chat.messages.map(\.content) == ["Sys", "My name is Ada.", "Hello Ada.", "What is my name?"])
        #expect(request.chat.messages.map(\.role) == [.system, .user, .assistant, .user])
    }

    @Test("tools: functions kept, Codex's hosted web_search dropped, tool_choice filters")
    func tools() throws {
        let tools = #"[{"type":"function","name":"a","parameters":{"type":"object","properties":{}},"strict":false},{"type":"function","name":"b"},{"type":"web_search"}]"#
        #expect(try decode(#"{"model":"m","input":"x","tools":\#(tools)}"#).chat.tools.map(\.name) == ["a", "b"])
        #expect(try decode(#"{"model":"m","input":"x","tools":\#(tools),"tool_choice":"none"}"#).chat.tools.isEmpty)
        #expect(try decode(#"{"model":"m","input":"x","tools":\#(tools),"tool_choice":{"type":"function","name":"b"}}"#).chat.tools.map(\.name) == ["b"])
        let allowed = #"{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"a"}]}"#
        #expect(try decode(#"{"model":"m","input":"x","tools":\#(tools),"tool_choice":\#(allowed)}"#).chat.tools.map(\.name) == ["a"])
    }

    @Test("newer Codex's additional_tools item: its tools are offered (custom ones in a namespace too), the item is no message")
    func additionalTools() throws {
        let request = try decode(
            #"""
            {"model":"m","input":[{"type":"additional_tools","id":"at_1","role":"developer","tools":[
              {"type":"namespace","name":"functions","description":"","tools":[{"type":"custom","name":"exec","description":"Run JS","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}},
               {"type":"function","name":"wait","strict":false,"parameters":{"type":"object","properties":{"cell_id":{"type":"string"}}}}]}]},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]}
            """#
        )
        #expect(request.chat.tools.map(\.name) == ["functions.exec", "functions.wait"])
        #expect(request.chat.tools[0].parameters["required"] == .array([.string("input")]))
        #expect(request.toolKinds.custom == ["functions.exec"])
        #expect(request.chat.messages == [ChatMessage(role: .user, content: "hi")])
        let error = dialectError { () throws(DialectError) in
            try decode(#"{"model":"m","input":[{"type":"additional_tools","tools":[{"type":"file_search"}]},{"role":"user","content":"x"}]}"#)
        }
        #expect(error?.param == "input[0].tools[0].type")
    }

    @Test("hosted tools the gateway cannot run are a 400 naming the tool")
    func hostedTools() {
        for type in ["file_search", "computer_use_preview", "code_interpreter", "mcp"] {
            let error = dialectError { () throws(DialectError) in try decode(#"{"model":"m","input":"x","tools":[{"type":"\#(type)"}]}"#) }
            #expect(error?.status == 400 && error?.param == "tools[0].type" && error?.message.contains(type) == true)
        }
    }

    @Test("text.format and reasoning.effort map to format and think")
    func formatAndThink() throws {
        let schema = #"{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}"#
        let structured = try decode(
            #"{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"out","strict":true,"schema":\#(schema)}},"reasoning":{"effort":"minimal"}}"#
        )
        #expect(structured.chat.format == .schema(try JSONParser.parse(schema)))
        #expect(structured.chat.think == .level("low"))
        #expect(try decode(#"{"model":"m","input":"x","text":{"format":{"type":"json_object"}}}"#).chat.format == .json)
        #expect(try decode(#"{"model":"m","input":"x","text":{"format":{"type":"text"},"verbosity":"low"}}"#).chat.format == nil)
        #expect(try decode(#"{"model":"m","input":"x","reasoning":{"effort":"none"}}"#).chat.think == .enabled(false))
    }

    @Test("refusals: empty input, unknown item type, ftp image, file input, bad arguments, background, missing type")
    func refusals() {
        let cases: [(String, String)] = [
            (#"{"model":"m","input":""}"#, "input"),
            (#"{"model":"m","input":[]}"#, "input"),
            (#"{"model":"m"}"#, "input"),
            (#"{"model":"m","input":[{"type":"bogus"}]}"#, "input[0].type"),
            (#"{"model":"m","input":[{"content":"no role or type"}]}"#, "input[0].type"),
            (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"ftp://example.com/a.png"}]}]}"#, "input[0].content[0].image_url"),
            (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_data":"x"}]}]}"#, "input[0].content[0]"),
            (#"{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{oops"}]}"#, "input[0].arguments"),
            (#"{"model":"m","input":"x","background":true}"#, "background"),
            (#"{"model":"m","input":"x","conversation":"conv_1"}"#, "conversation"),
            (#"{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}"#, "text.format.type"),
            (#"{"model":"m","input":"x","reasoning":{"effort":"extreme"}}"#, "reasoning.effort"),
            (#"{"model":"m","input":"x","max_output_tokens":0}"#, "max_output_tokens"),
            (#"{"input":"x"}"#, "model"),
        ]
        for (body, param) in cases {
            let error = dialectError { () throws(DialectError) in try decode(body) }
            #expect(error?.status == 400, "\(body)")
            #expect(error?.param == param, "\(body): \(error?.message ?? "")")
        }
    }

    @Test("items only OpenAI's hosted tools produce are dropped, not refused (Codex replays them)")
    func droppedItems() throws {
        let request = try decode(
            #"{"model":"m","input":[{"type":"web_search_call","id":"ws_1","status":"completed"},{"type":"compaction","encrypted_content":"x"},{"role":"user","content":"hi"}]}"#
        )
        #expect(request.chat.messages == [ChatMessage(role: .user, content: "hi")])
    }

    @Test("a custom tool call round trip: the call's input becomes {\"input\":…}, its output a tool message")
    func customToolCall() throws {
        let request = try decode(
            #"{"model":"m","input":[{"role":"user","content":"patch it"},{"type":"custom_tool_call","call_id":"c1","name":"apply_patch","input":"*** Begin"},{"type":"custom_tool_call_output","call_id":"c1","output":"done"}]}"#
        )
        #expect(request.chat.messages[1].toolCalls == [ToolCall(id: "c1", name: "apply_patch", arguments: try JSONParser.parse(#"{"input":"*** Begin"}"#))])
        #expect(request.chat.messages[2] == ChatMessage(role: .tool, content: "done", toolName: "apply_patch", toolCallID: "c1"))
    }
}
