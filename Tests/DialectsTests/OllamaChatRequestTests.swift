import Foundation
import Testing
@testable import Dialects

@Suite("OllamaChatRequest")
struct OllamaChatRequestTests {
    private func encoded(_ request: ChatRequest, ollamaModel: String = "llama3.2:latest") throws -> (text: String, object: [String: Any]) {
        let bytes = OllamaChatRequest(request, ollamaModel: ollamaModel).json()
        return (text(bytes), try jsonObject(bytes))
    }

    private let messages = [ChatMessage(role: .system, content: "be brief"), ChatMessage(role: .user, content: "hi")]

    @Test func minimalRequestIsExactBytes() throws {
        let (text, _) = try encoded(ChatRequest(model: "gpt-4o-mini", messages: messages, stream: true), ollamaModel: "qwen3:8b")
        #expect(text == #"{"model":"qwen3:8b","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"stream":true}"#)
    }

    @Test(arguments: [true, false])
    func streamIsAlwaysPresent(stream: Bool) throws {  // §5.1
        let (text, object) = try encoded(ChatRequest(model: "m", messages: messages, stream: stream))
        #expect(text.contains("\"stream\":\(stream)"))
        let value = try #require(object["stream"], "stream must be sent even when false")
        #expect((value as? Bool) == stream)
    }

    @Test func optionsAreOmittedEntirelyWhenNoneAreSet() throws {
        let (text, object) = try encoded(ChatRequest(model: "m", messages: messages, stream: false))
        #expect(object["options"] == nil)
        #expect(!text.contains("options"))
        #expect(!text.contains("null"))
        #expect(object["tools"] == nil && object["format"] == nil && object["think"] == nil)
    }

    @Test func emptyStopListStillCountsAsAnOption() throws {
        let (text, _) = try encoded(ChatRequest(model: "m", messages: messages, stream: false, options: GenerationOptions(stop: [])))
        #expect(text.hasSuffix(#","options":{"stop":[]}}"#))
    }

    @Test func everyOptionIsMappedInOrderWithOllamaNames() throws {  // §1.2, §5.17 stop is an array
        let request = ChatRequest(
            model: "m", messages: messages, stream: false,
            options: GenerationOptions(
                maxTokens: 1, temperature: 0.7, topP: 0.5, topK: 40, seed: 7, stop: ["x", "</s>"], frequencyPenalty: 1.5,
                presencePenalty: -0.25
            )
        )
        let (text, _) = try encoded(request)
        #expect(text.hasSuffix(
            #","options":{"num_predict":1,"temperature":0.7,"top_p":0.5,"top_k":40,"seed":7,"stop":["x","</s>"],"frequency_penalty":1.5,"presence_penalty":-0.25}}"#
        ))
    }

    @Test func wholeDoublesAndSmallDoublesAreWrittenAsNumbers() throws {
        let (text, object) = try encoded(ChatRequest(model: "m", messages: messages, stream: false, options: .init(temperature: 1, topP: 1e-5)))
        #expect(text.contains(#""temperature":1,"top_p":1e-05"#))
        let options = try #require(object["options"] as? [String: Any])
        #expect(options["top_p"] as? Double == 1e-5)
    }

    @Test func fullMessageFieldsAreWrittenInOrder() throws {  // §1.1 message shape, §5.7 content "" with tool calls
        let arguments = try JSONParser.parse(#"{"city":"Tokyo","days":3}"#)
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .user, content: "look", images: ["iVBORw0KGgo=", "AAAA"]),
            ChatMessage(role: .assistant, content: "", thinking: "hmm", toolCalls: [
                ToolCall(id: "call_1", name: "weather", arguments: arguments), ToolCall(id: "", name: "time", arguments: .object([])),
            ]),
            ChatMessage(role: .tool, content: "sunny", toolName: "weather", toolCallID: "call_1"),
        ], stream: false)
        let (text, _) = try encoded(request)
        #expect(text == """
            {"model":"llama3.2:latest","messages":[{"role":"user","content":"look","images":["iVBORw0KGgo=","AAAA"]},\
            {"role":"assistant","content":"","thinking":"hmm","tool_calls":[\
            {"id":"call_1","function":{"index":0,"name":"weather","arguments":{"city":"Tokyo","days":3}}},\
            {"function":{"index":1,"name":"time","arguments":{}}}]},\
            {"role":"tool","content":"sunny","tool_name":"weather","tool_call_id":"call_1"}],"stream":false}
            """)
    }

    @Test func toolArgumentsKeepMemberOrderAndNumberText() throws {  // §5.9
        let arguments = try JSONParser.parse(#"{"b":1,"a":2.50,"z":{"y":1e3,"x":[true,null]}}"#)
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "c", name: "f", arguments: arguments)]),
        ], stream: false)
        let (text, _) = try encoded(request)
        #expect(text.contains(#""arguments":{"b":1,"a":2.50,"z":{"y":1e3,"x":[true,null]}}"#))
    }

    @Test func nonObjectArgumentsAreSentAsEmptyObject() throws {
        let request = ChatRequest(model: "m", messages: [
            ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "c", name: "f", arguments: .string("oops"))]),
        ], stream: false)
        #expect(try encoded(request).text.contains(#""arguments":{}"#))
    }

    @Test func toolsFormatAndThinkAreWritten() throws {
        let schema = try JSONParser.parse(#"{"type":"object","properties":{"q":{"type":"string","minLength":1}},"required":["q"],"additionalProperties":false}"#)
        let request = ChatRequest(
            model: "m", messages: messages, stream: true,
            tools: [ToolDefinition(name: "search", description: "Find things", parameters: schema), ToolDefinition(name: "now", parameters: .object([]))],
            format: .json, think: .level("high")
        )
        let (text, _) = try encoded(request)
        #expect(text.hasSuffix("""
            "stream":true,"tools":[{"type":"function","function":{"name":"search","description":"Find things","parameters":\
            {"type":"object","properties":{"q":{"type":"string","minLength":1}},"required":["q"],"additionalProperties":false}}},\
            {"type":"function","function":{"name":"now","parameters":{}}}],"format":"json","think":"high"}
            """))
    }

    @Test(arguments: [(Think.enabled(true), #""think":true"#), (.enabled(false), #""think":false"#), (.level("low"), #""think":"low""#)])
    func thinkValues(think: Think, expected: String) throws {
        #expect(try encoded(ChatRequest(model: "m", messages: messages, stream: false, think: think)).text.hasSuffix(expected + "}"))
    }

    @Test func schemaFormatIsWrittenAsTheObject() throws {
        let schema = try JSONParser.parse(#"{"type":"object","properties":{"b":{},"a":{}}}"#)
        let (text, _) = try encoded(ChatRequest(model: "m", messages: messages, stream: false, format: .schema(schema)))
        #expect(text.hasSuffix(#","format":{"type":"object","properties":{"b":{},"a":{}}}}"#))
    }

    @Test func specialCharactersInMessagesSurviveEncoding() throws {
        let content = "line1\nline2 \"quoted\" \\ tab\t 😀 \u{0085}\u{2028} \u{01}"
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: content)], stream: false)
        let (_, object) = try encoded(request)
        let sent = try #require(object["messages"] as? [[String: Any]])
        #expect(sent.first?["content"] as? String == content)
    }
}

@Suite("OllamaGenerateRequest and OllamaEmbedRequest")
struct OllamaGenerateRequestTests {
    @Test func generateRequestIsExactBytes() {
        let request = CompletionRequest(model: "m", prompt: "Once", suffix: "end", stream: false, options: .init(maxTokens: 5, stop: ["\n"]))
        #expect(text(OllamaGenerateRequest(request, ollamaModel: "qwen2.5-coder").json())
            == #"{"model":"qwen2.5-coder","prompt":"Once","suffix":"end","stream":false,"options":{"num_predict":5,"stop":["\n"]}}"#)
    }

    @Test func generateRequestWithoutSuffixOrOptionsButWithFormatAndThink() {
        let request = CompletionRequest(model: "m", prompt: "p", stream: true, format: .json, think: .enabled(false))
        #expect(text(OllamaGenerateRequest(request, ollamaModel: "x").json()) == #"{"model":"x","prompt":"p","stream":true,"format":"json","think":false}"#)
    }

    @Test func embedRequestIsExactBytes() {
        #expect(text(OllamaEmbedRequest(EmbeddingRequest(model: "e", inputs: ["a", ""]), ollamaModel: "nomic").json())
            == #"{"model":"nomic","input":["a",""]}"#)
        #expect(text(OllamaEmbedRequest(model: "n", input: ["x"], dimensions: 256, truncate: false).json())
            == #"{"model":"n","input":["x"],"dimensions":256,"truncate":false}"#)
    }
}
