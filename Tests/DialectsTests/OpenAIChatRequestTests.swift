import Foundation
import Testing
@testable import Dialects

@Suite("OpenAIChatRequest.chatRequest()")
struct OpenAIChatRequestTests {
    private func convert(_ json: String) throws -> ChatRequest {
        try openAIRequest(json).chatRequest()
    }

    @Test func stringContentAndDefaults() throws {
        let request = try convert(#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}"#)
        #expect(request.model == "gpt-4o-mini")
        #expect(request.messages == [ChatMessage(role: .user, content: "Hello")])
        #expect(request.stream == false, "stream defaults to false")
        #expect(request.options == GenerationOptions())
    }

    @Test func rolesMapIncludingDeveloperAsSystem() throws {
        let request = try convert(#"""
            {"model":"m","messages":[
              {"role":"system","content":"s"},{"role":"developer","content":"d"},
              {"role":"user","content":"u"},{"role":"assistant","content":"a"},{"role":"USER","content":"U"}]}
            """#)
        #expect(request.messages.map(\.role) == [.system, .system, .user, .assistant, .user])
        #expect(request.messages.map(\.content) == ["s", "d", "u", "a", "U"])
    }

    @Test func textPartsAreMergedWithNewlines() throws {
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"text","text":"second"},{"type":"text","text":""}]}]}
            """#)
        #expect(request.messages == [ChatMessage(role: .user, content: "first\nsecond\n")])
    }

    @Test func singleTextPartIsKeptAsIs() throws {
        let request = try convert(#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"only"}]}]}"#)
        #expect(request.messages.first?.content == "only")
    }

    @Test func assistantWithoutContentIsEmpty() throws {
        let request = try convert(#"{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":null}]}"#)
        #expect(request.messages.last == ChatMessage(role: .assistant, content: ""))
    }

    @Test func optionsAreCarriedOver() throws {
        let request = try convert(#"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"max_tokens":64,"temperature":0.2,
             "top_p":0.9,"seed":42,"stop":["END","\n\n"],"frequency_penalty":0.5,"presence_penalty":-0.5,"n":1}
            """#)
        #expect(request.stream == true)
        #expect(request.options == GenerationOptions(
            maxTokens: 64, temperature: 0.2, topP: 0.9, seed: 42, stop: ["END", "\n\n"], frequencyPenalty: 0.5, presencePenalty: -0.5
        ))
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {
        let both = try convert(#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":10,"max_completion_tokens":20}"#)
        #expect(both.options.maxTokens == 20)
        let onlyNew = try convert(#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":7}"#)
        #expect(onlyNew.options.maxTokens == 7)
    }

    @Test(arguments: [
        (#""STOP""#, ["STOP"]),
        (#"["a","b"]"#, ["a", "b"]),
        ("[]", []),
    ])
    func stopIsAStringOrAList(stop: String, expected: [String]) throws {
        let request = try convert(#"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":"# + stop + "}")
        #expect(request.options.stop == expected)
    }

    @Test(arguments: [
        (#""#, false),
        (#","stream_options":{}"#, false),
        (#","stream_options":{"include_usage":false}"#, false),
        (#","stream_options":{"include_usage":true}"#, true),
    ])
    func includeUsage(field: String, expected: Bool) throws {
        let request = try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true"# + field + "}")
        #expect(request.includeUsage == expected)
    }

    static let invalidRequests: [(String, String)] = [
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"","messages":[{"role":"user","content":"x"}]}"#, "model"),
        (#"{"model":"m"}"#, "messages"),
        (#"{"model":"m","messages":[]}"#, "messages"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#, "n"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":0}"#, "n"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, "max_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-5}"#, "max_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}"#, "max_completion_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":0}"#, "max_completion_tokens"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"y"}]}"#, "messages[1].role"),
        (#"{"model":"m","messages":[{"role":"tool","content":"y"}]}"#, "messages[0].role"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}]}"#, "messages[0].content[1]"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}"#, "messages[0].content[0]"),
        (#"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user"}]}"#, "messages[1].content"),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestNamesTheParameter(json: String, param: String) throws {
        let request = try openAIRequest(json)
        let error = #expect(throws: DialectError.self) { try request.chatRequest() }
        #expect(error?.kind == .invalidRequest)
        #expect(error?.param == param)
        #expect(error?.status == 400)
        #expect(error?.message.isEmpty == false)
    }

    @Test func unsupportedRoleMessageNamesTheRole() throws {
        let request = try openAIRequest(#"{"model":"m","messages":[{"role":"robot","content":"y"}]}"#)
        let error = #expect(throws: DialectError.self) { try request.chatRequest() }
        #expect(error?.message.contains("'robot'") == true)
    }
}

@Suite("DialectError(decoding:)")
struct DialectErrorDecodingTests {
    /// The DialectError for a body that fails to decode as an OpenAI request.
    private func error(for json: String) throws -> DialectError {
        do {
            _ = try openAIRequest(json)
        } catch {
            return DialectError(decoding: error)
        }
        Issue.record("expected decoding to fail for \(json)")
        throw CancellationError()
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
        (#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":{"x":1}}]}"#, "messages[1].content"),
        (#"{"model":5,"messages":[]}"#, "model"),
        (#"{"model":"m","messages":[],"stream":"yes"}"#, "stream"),
        (#"{"model":"m","messages":[],"max_tokens":"ten"}"#, "max_tokens"),
        (#"{"model":"m","messages":{"role":"user"}}"#, "messages"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":3}]}]}"#, "messages[0].content[0].type"),
    ])
    func typeMismatchNamesThePath(json: String, path: String) throws {
        let error = try error(for: json)
        #expect(error.kind == .invalidRequest)
        #expect(error.param == path)
        #expect(error.message.contains("'\(path)'"))
    }

    @Test func typeMismatchSaysWhatWasExpected() throws {
        #expect(try error(for: #"{"model":5,"messages":[]}"#).message == "Invalid type for 'model': expected a string.")
        #expect(try error(for: #"{"model":"m","stream":1}"#).message == "Invalid type for 'stream': expected a boolean.")
    }

    @Test func missingKeyNamesTheFullPath() throws {
        let error = try error(for: #"{"model":"m","messages":[{"content":"x"}]}"#)
        #expect(error.param == "messages[0].role")
        #expect(error.message == "Missing required parameter: 'messages[0].role'.")
    }

    @Test func messageDoesNotEchoTheInput() throws {
        let error = try error(for: #"{"model":"m","messages":[{"role":"user","content":12345678}]}"#)
        #expect(!error.message.contains("12345678"))
    }

    @Test(arguments: [#"{"model":"#, "not json at all", "", #"{"model":"m""#, "[1,2"])
    func invalidJSONIsReportedAsSuch(body: String) throws {
        let error = try error(for: body)
        #expect(error.kind == .invalidRequest)
        #expect(error.message.contains("not valid JSON"))
        #expect(error.param == nil)
    }

    @Test func nonDecodingErrorIsReportedAsInvalidJSON() {
        let error = DialectError(decoding: CancellationError())
        #expect(error.message == "The request body is not valid JSON.")
        #expect(error.kind == .invalidRequest)
    }

    @Test(arguments: [
        (DialectError.Kind.invalidRequest, 400), (.authentication, 401), (.permission, 403), (.notFound, 404),
        (.payloadTooLarge, 413), (.rateLimited, 429), (.internalError, 500), (.upstreamUnavailable, 502),
        (.overloaded, 503), (.upstreamTimeout, 504),
    ])
    func statusForEachKind(kind: DialectError.Kind, status: Int) {
        #expect(DialectError(kind, "x").status == status)
    }
}
