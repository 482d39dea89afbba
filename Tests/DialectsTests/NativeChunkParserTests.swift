import Foundation
import Testing

@testable import Dialects

/// The hand-written chunk parser must read exactly what `JSONDecoder` reads.
@Suite("NativeChunkParser")
struct NativeChunkParserTests {
    static let valid: [String] = [
        #"{"model":"llama3.2","created_at":"2025-07-07T20:22:19.184789Z","message":{"role":"assistant","content":"The"},"done":false}"#,
        #"{"model":"qwen3","created_at":"x","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":182242375,"load_duration":41295167,"prompt_eval_count":169,"prompt_eval_duration":24573166,"eval_count":15,"eval_duration":115959084}"#,
        #"{"message":{"role":"assistant","content":"","thinking":"Okay, \"quoted\" \\ back\/slash \n\t\r\b\f"},"done":false}"#,
        #"{"message":{"content":"\u003ctag\u003e \u0026 caf\u00e9 \ud83d\ude00 \u2028 end"},"done":false}"#,
        "{\"message\":{\"content\":\"raw UTF-8: é 😀 漢字 \u{85} NEL\"},\"done\":false}",
        #"{"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"index":0,"name":"f","arguments":{"a":[1,2.5,-3e2,true,false,null,{"b":"c"}]}}}]},"done":false}"#,
        #"  { "done" : true , "eval_count" : 1.0e1 , "done_reason" : null , "logprobs" : [ ] , "extra" : { } }  "#,
        #"{"error":"model 'x' not found"}"#,
        #"{}"#,
        #"{"message":null,"done":null}"#,
    ]

    @Test("Valid lines parse as JSONDecoder parses them (tool calls aside)", arguments: valid)
    func matchesJSONDecoder(line: String) throws {
        let expected = try JSONDecoder().decode(OllamaChatChunk.self, from: Data(line.utf8))
        var parsed = try #require(Array(line.utf8).withUnsafeBytes(NativeChunkParser.parse))
        parsed.message?.toolCalls = []
        #expect(parsed == expected)
    }

    @Test("Tool calls are captured raw and parsed in order")
    func toolCalls() throws {
        let parsed = try #require(Array(Self.valid[5].utf8).withUnsafeBytes(NativeChunkParser.parse))
        let calls = try #require(parsed.message?.toolCalls)
        #expect(calls.count == 1)
        #expect(calls.first?.id == "call_1")
        #expect(calls.first?.name == "f")
        #expect(calls.first?.arguments.text == #"{"a":[1,2.5,-3e2,true,false,null,{"b":"c"}]}"#)
        #expect(parsed.message?.content == "")
        #expect(parsed.done == false)
    }

    @Test("Malformed tool_calls make the line malformed")
    func malformedToolCalls() {
        let line = #"{"message":{"tool_calls":[{"id":}]},"done":false}"#
        #expect(Array(line.utf8).withUnsafeBytes(NativeChunkParser.parse) == nil)
    }

    @Test("A lone surrogate (which Go never writes) becomes U+FFFD rather than failing the stream")
    func loneSurrogate() {
        let line = #"{"message":{"content":"a \ud800 b"}}"#
        let parsed = Array(line.utf8).withUnsafeBytes(NativeChunkParser.parse)
        #expect(parsed?.message?.content == "a \u{FFFD} b")
    }

    @Test(
        "Malformed lines are rejected",
        arguments: [
            "", "not json", "[1,2]", #"{"done":true"#, #"{"done":tru}"#, #"{"a":"unterminated}"#, #"{"a":1}x"#,
            #"{"a":"bad \q escape"}"#, "{\"a\":\"raw\ncontrol\"}", #"{"a":1,}"#, #"{"a" 1}"#, #"{"message":{"content":"\u12"}}"#,
        ]
    )
    func rejectsMalformed(line: String) {
        #expect(Array(line.utf8).withUnsafeBytes(NativeChunkParser.parse) == nil)
    }
}
