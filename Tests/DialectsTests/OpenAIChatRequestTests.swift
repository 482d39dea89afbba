import Testing
@testable import Dialects

@Suite("OpenAIChatRequest")
struct OpenAIChatRequestTests {
    private func convert(_ json: String) throws -> ChatRequest {
        try openAIRequest(json).chat
    }

    /// A request with `fields` added after one user message.
    private func convert(fields: String) throws -> ChatRequest {
        try convert(#"{"model":"m","messages":[{"role":"user","content":"x"}]"# + fields + "}")
    }

    private func error(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> DialectError? {
        dialectError(sourceLocation: sourceLocation) { () throws(DialectError) in try openAIRequest(json) }
    }

    private func error(fields: String, sourceLocation: SourceLocation = #_sourceLocation) -> DialectError? {
        error(#"{"model":"m","messages":[{"role":"user","content":"x"}]"# + fields + "}", sourceLocation: sourceLocation)
    }

    @Test func stringContentAndDefaults() throws {
        let request = try convert(#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"unknown":{"x":[1]}}"#)
        #expect(request.model == "gpt-4o-mini")
        #expect(request.messages == [ChatMessage(role: .user, content: "Hello")])
        #expect(request.stream == false, "stream defaults to false")
        // §5.3 sampling defaults: nothing is forced; the Modelfile's defaults apply.
        #expect(request.options == GenerationOptions())
        #expect(request.tools.isEmpty && request.format == nil && request.think == nil)
    }

    @Test func rolesMapIncludingDeveloperAsSystem() throws {  // §3.2, §5.4
        let request = try convert(#"""
            {"model":"m","messages":[
              {"role":"system","content":"s"},{"role":"developer","content":"d"},
              {"role":"user","content":"u"},{"role":"assistant","content":"a"},{"role":"USER","content":"U"}]}
            """#)
        #expect(request.messages.map(\.role) == [.system, .system, .user, .assistant, .user])
        #expect(request.messages.map(\.content) == ["s", "d", "u", "a", "U"])
    }

    @Test func textPartsAreMergedWithNewlines() throws {  // §5.6
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"text","text":"second"},{"type":"text","text":""}]}]}
            """#)
        #expect(request.messages == [ChatMessage(role: .user, content: "first\nsecond\n")])
    }

    @Test func imagePartsBecomeBareBase64InTheSameMessage() throws {  // §5.6, §5.13
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"what is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
              {"type":"image_url","image_url":"data:image/JPEG;base64,/9j/4AAQ"},
              {"type":"image_url","image_url":{"url":"data:image/jpg;base64,AAA="}},
              {"type":"image_url","image_url":{"url":"data:image/webp;base64,UklGR"}},
              {"type":"image_url","image_url":{"url":"data:;base64,R0lG"}},
              {"type":"text","text":"thanks"}]}]}
            """#)
        #expect(request.messages == [ChatMessage(
            role: .user, content: "what is this?\nthanks", images: ["iVBORw0KGgo=", "/9j/4AAQ", "AAA=", "UklGR", "R0lG"]
        )])
    }

    @Test(arguments: ["https://example.com/cat.png", "http://x/y.jpg", "HTTPS://EXAMPLE.COM/A"])
    func imageURLsAreKeptAsRemote(url: String) throws {  // the gateway fetches them
        let request = try convert(#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(url)"}}]}]}"#)
        #expect(request.messages.first?.images == [.remote(url)])
    }

    @Test(arguments: ["data:image/gif;base64,R0lGOD", "ftp://x", "iVBORw0KGgo=", "data:image/png;base64,"])
    func otherImageSourcesAreRefused(url: String) {
        let error = error(#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"\#(url)"}]}]}"#)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.param == "messages[0].content[0].image_url")
        #expect(error?.message.hasPrefix("Invalid value for 'messages[0].content[0].image_url'") == true)
    }

    @Test func audioPartIsRefused() {
        let error = error(#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}]}"#)
        #expect(error?.message == "Audio input is not supported.")
        #expect(error?.param == "messages[0].content[0]")
    }

    @Test func assistantWithNullContentAndToolCalls() throws {  // §5.7, §5.9, §5.10
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"user","content":"q"},
             {"role":"assistant","content":null,"reasoning_content":"think first","tool_calls":[
               {"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"b\":1,\"a\":2}"}},
               {"id":"call_b","type":"function","function":{"name":"g","arguments":""}},
               {"id":"call_c","type":"function","function":{"name":"h","arguments":"  \n"}}]}]}
            """#)
        let assistant = try #require(request.messages.last)
        #expect(assistant.role == .assistant)
        #expect(assistant.content == "")
        #expect(assistant.thinking == "think first")
        #expect(assistant.toolCalls.map(\.id) == ["call_a", "call_b", "call_c"])
        #expect(assistant.toolCalls.map(\.name) == ["f", "g", "h"])
        #expect(assistant.toolCalls.map(\.arguments.text) == [#"{"b":1,"a":2}"#, "{}", "{}"])
    }

    @Test func argumentsRoundTripByteIdenticalToNative() throws {  // §5.9 ordered arguments
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function",
             "function":{"name":"f","arguments":"{\"b\":1,\"a\":2,\"n\":1.50,\"e\":1E+2,\"s\":\"\\u00e9\"}"}}]}]}
            """#)
        let native = text(OllamaChatRequest(request, ollamaModel: "m").json())
        #expect(native.contains(#""arguments":{"b":1,"a":2,"n":1.50,"e":1E+2,"s":"é"}"#))
    }

    @Test func reasoningFieldBecomesThinking() throws {  // §5.14
        let request = try convert(#"{"model":"m","messages":[{"role":"assistant","content":"hi","reasoning":"r"}]}"#)
        #expect(request.messages.first?.thinking == "r")
    }

    @Test(arguments: [#""{\"a\":""#, #""[1,2]""#, #""\"str\"""#, "5"])
    func invalidToolArgumentsAreRefused(arguments: String) {  // §5.9
        let error = error(#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":\#(arguments)}}]}]}"#)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.param == "messages[0].tool_calls[0].function.arguments")
    }

    @Test func toolMessagesGetTheirToolNameFromTheLastMatchingCall() throws {  // §3.2, §5.8
        let request = try convert(#"""
            {"model":"m","messages":[
             {"role":"assistant","content":null,"tool_calls":[{"id":"dup","type":"function","function":{"name":"old","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"dup","content":"1"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"dup","type":"function","function":{"name":"new","arguments":"{}"}},
                                                              {"id":"x","type":"function","function":{"name":"other","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"dup","content":"2"},
             {"role":"tool","tool_call_id":"x","content":[{"type":"text","text":"3"}]},
             {"role":"tool","tool_call_id":"x","name":"explicit","content":"4"},
             {"role":"tool","tool_call_id":"unknown","content":"5"}]}
            """#)
        let tools = request.messages.filter { $0.role == .tool }
        #expect(tools.map(\.toolName) == ["old", "new", "other", "explicit", nil])
        #expect(tools.map(\.toolCallID) == ["dup", "dup", "x", "x", "unknown"])
        #expect(tools.map(\.content) == ["1", "2", "3", "4", "5"])
    }

    @Test func toolsKeepParametersAsWritten() throws {
        let request = try convert(fields: #"""
            ,"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","strict":true,
              "parameters":{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"number","minimum":0}},"additionalProperties":false}}},
              {"type":"function","function":{"name":"noargs"}}]
            """#)
        #expect(request.tools.map(\.name) == ["get_weather", "noargs"])
        #expect(request.tools[0].description == "Weather")
        #expect(request.tools[0].parameters.text
            == #"{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"number","minimum":0}},"additionalProperties":false}"#)
        #expect(request.tools[1].parameters.text == #"{"type":"object","properties":{}}"#)
    }

    private static let twoTools = #""tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}]"#

    @Test(arguments: [
        (#""none""#, [String]()), (#""auto""#, ["a", "b"]), (#""required""#, ["a", "b"]),
        (#"{"type":"function","function":{"name":"b"}}"#, ["b"]),
        (#"{"type":"function","function":{"name":"missing"}}"#, ["a", "b"]),
        (#"{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"a"}}]}}"#, ["a"]),
        ("null", ["a", "b"]),
    ])
    func toolChoice(choice: String, expected: [String]) throws {  // §5.12
        let request = try convert(fields: "," + Self.twoTools + #","tool_choice":"# + choice)
        #expect(request.tools.map(\.name) == expected)
    }

    @Test func nonFunctionToolIsRefused() {
        let error = error(fields: #","tools":[{"type":"web_search"}]"#)
        #expect(error?.param == "tools[0].type")
    }

    @Test(arguments: [
        (#"{"type":"text"}"#, ResponseFormat?.none),
        (#"{"type":"json_object"}"#, .json),
        (#"{"type":" JSON_Object "}"#, .json),
        (#"{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"b":{},"a":{}}}}}"#,
         .schema(.object([JSONMember("type", .string("object")), JSONMember("properties", .object([JSONMember("b", .object([])), JSONMember("a", .object([]))]))]))),
        (#"{"type":"json_schema"}"#, nil),
        (#"{"type":"json_schema","json_schema":{"name":"x"}}"#, nil),
    ])
    func responseFormat(format: String, expected: ResponseFormat?) throws {
        #expect(try convert(fields: #","response_format":"# + format).format == expected)
    }

    @Test(arguments: [
        (#","reasoning_effort":"none""#, Think.enabled(false)),
        (#","reasoning_effort":"minimal""#, .level("low")),
        (#","reasoning_effort":"low""#, .level("low")),
        (#","reasoning_effort":"medium""#, .level("medium")),
        (#","reasoning_effort":"high""#, .level("high")),
        (#","reasoning_effort":"xhigh""#, .level("high")),
        (#","reasoning_effort":"max""#, .level("high")),
        (#","reasoning_effort":"low","reasoning":{"effort":"high"}"#, .level("high")),
    ])
    func reasoningEffortMapsToThink(fields: String, expected: Think) throws {  // §3.1, §5.14
        #expect(try convert(fields: fields).think == expected)
    }

    @Test func invalidReasoningEffortNamesTheParameter() {
        #expect(error(fields: #","reasoning_effort":"extreme""#)?.param == "reasoning_effort")
        #expect(error(fields: #","reasoning":{"effort":"ultra-max"}"#)?.param == "reasoning.effort")
    }

    @Test func optionsAreCarriedOver() throws {
        let request = try convert(fields: #"""
            ,"stream":true,"max_tokens":64,"temperature":0.2,"top_p":0.9,"top_k":20,"seed":42,"stop":["END","\n\n",""],
             "frequency_penalty":0.5,"presence_penalty":-0.5,"n":1,"logprobs":true,"parallel_tool_calls":false,"user":"u"
            """#)
        #expect(request.stream == true)
        #expect(request.options == GenerationOptions(
            maxTokens: 64, temperature: 0.2, topP: 0.9, topK: 20, seed: 42, stop: ["END", "\n\n"], frequencyPenalty: 0.5,
            presencePenalty: -0.5
        ))
    }

    @Test func nullOptionalFieldsCountAsAbsent() throws {
        let request = try convert(fields: #","temperature":null,"stop":null,"tools":null,"tool_choice":null,"response_format":null,"stream":null"#)
        #expect(request.options == GenerationOptions())
        #expect(request.stream == false)
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {  // §5.2
        #expect(try convert(fields: #","max_tokens":10,"max_completion_tokens":20"#).options.maxTokens == 20)
        #expect(try convert(fields: #","max_completion_tokens":7"#).options.maxTokens == 7)
    }

    @Test(arguments: [(#""STOP""#, ["STOP"]), (#"["a","b"]"#, ["a", "b"]), ("[]", [])])
    func stopIsAStringOrAList(stop: String, expected: [String]) throws {
        #expect(try convert(fields: #","stop":"# + stop).options.stop == expected)
    }

    @Test(arguments: [
        ("", false), (#","stream_options":{}"#, false), (#","stream_options":{"include_usage":false}"#, false),
        (#","stream_options":{"include_usage":true}"#, true),
    ])
    func includeUsage(field: String, expected: Bool) throws {
        #expect(try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true"# + field + "}").includeUsage == expected)
    }

    static let invalidRequests: [(String, String)] = [
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"","messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"m"}"#, "messages"),
        (#"{"model":"m","messages":[]}"#, "messages"),
        (#"{"model":"m","messages":{"role":"user"}}"#, "messages"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#, "n"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":0}"#, "n"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, "max_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-5}"#, "max_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}"#, "max_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}"#, "max_completion_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":0}"#, "max_completion_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}"#, "stop[0]"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, "stream"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, "temperature"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}"#, "tool_choice"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#, "response_format.type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"y"}]}"#, "messages[1].role"),
        (#"{"model":"m","messages":[{"content":"x"}]}"#, "messages[0].role"),
        (#"{"model":"m","messages":[{"role":"tool","content":"y"}]}"#, "messages[0].tool_call_id"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}]}"#, "messages[0].content[1].image_url"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}"#, "messages[0].content[0].text"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":3}]}]}"#, "messages[0].content[0].type"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, "messages[0].content[0].type"),
        (#"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user"}]}"#, "messages[1].content"),
        (#"{"model":"m","messages":[{"role":"user","content":null}]}"#, "messages[0].content"),
        (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
        (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"arguments":"{}"}}]}]}"#, "messages[0].tool_calls[0].function.name"),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestNamesTheParameter(json: String, param: String) {
        let error = error(json)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.param == param)
        #expect(error?.status == 400)
        #expect(error?.message.isEmpty == false)
    }

    @Test func messagesSayWhatWasExpected() {
        #expect(error(#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":{"x":1}}]}"#)?.message
            == "Invalid type for 'messages[2].content': expected a string or an array of content parts.")
        #expect(error(#"{"model":5,"messages":[]}"#)?.message == "Invalid type for 'model': expected a string.")
        #expect(error(fields: #","stream":1"#)?.message == "Invalid type for 'stream': expected a boolean.")
        #expect(error(#"{"model":"m","messages":[{"content":"x"}]}"#)?.message == "Missing required parameter: 'messages[0].role'.")
        #expect(error(fields: #","n":3"#)?.message == "Only n=1 is supported: Tollgate returns one choice per request.")
        #expect(error(#"{"model":"m","messages":[{"role":"robot","content":"y"}]}"#)?.message.contains("'robot'") == true)
    }

    @Test func messageDoesNotEchoTheInput() {
        #expect(error(#"{"model":"m","messages":[{"role":"user","content":12345678}]}"#)?.message.contains("12345678") == false)
    }

    @Test(arguments: [#"{"model":"#, "not json at all", "", #"{"model":"m""#, "[1,2", #"{"a":1,}"#])
    func invalidJSONIsReportedAsSuch(body: String) {
        let error = error(body)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.message.contains("not valid JSON") == true)
        #expect(error?.param == nil)
    }

    @Test(arguments: ["[]", "\"text\"", "42"])
    func nonObjectBodyIsRefused(body: String) {
        #expect(error(body)?.message == "The request body must be a JSON object.")
    }
}

@Suite("DialectError")
struct DialectErrorTests {
    @Test(arguments: [
        (DialectError.Kind.invalidRequest, 400), (.authentication, 401), (.permission, 403), (.notFound, 404),
        (.payloadTooLarge, 413), (.rateLimited, 429), (.internalError, 500), (.upstreamUnavailable, 502),
        (.overloaded, 503), (.upstreamTimeout, 504),
    ])
    func statusForEachKind(kind: DialectError.Kind, status: Int) {
        #expect(DialectError(kind, "x").status == status)
    }
}
