import Testing
@testable import Dialects

/// The end user a body names: OpenAI's `user` (chat, completions, embeddings), Anthropic's `metadata.user_id`.
@Suite("End-user fields")
struct EndUserFieldTests {
    static let messages = #""messages":[{"role":"user","content":"x"}]"#

    @Test func openAIUserNamesTheEndUser() throws {
        #expect(try OpenAIChatRequest(json: Array(#"{"model":"m",\#(Self.messages),"user":"ann"}"#.utf8)).chat.endUser == "ann")
        #expect(try OpenAIChatRequest(json: Array(#"{"model":"m",\#(Self.messages)}"#.utf8)).chat.endUser == nil)
        #expect(try OpenAICompletionRequest(json: Array(#"{"model":"m","prompt":"p","user":"bo"}"#.utf8)).user == "bo")
        #expect(try OpenAIEmbeddingRequest(json: Array(#"{"model":"m","input":"p","user":"cy"}"#.utf8)).user == "cy")
    }

    @Test func openAIUserMustBeAString() {
        #expect(throws: DialectError.self) { try OpenAIChatRequest(json: Array(#"{"model":"m",\#(Self.messages),"user":5}"#.utf8)) }
    }

    @Test func anthropicMetadataUserID() throws {
        let body = #"{"model":"m","max_tokens":5,\#(Self.messages),"metadata":{"user_id":"dee"}}"#
        #expect(try AnthropicMessagesRequest(body: Array(body.utf8)).chat.endUser == "dee")
        let none = #"{"model":"m","max_tokens":5,\#(Self.messages),"metadata":{}}"#
        #expect(try AnthropicMessagesRequest(body: Array(none.utf8)).chat.endUser == nil)
        let wrong = #"{"model":"m","max_tokens":5,\#(Self.messages),"metadata":{"user_id":7}}"#
        let error = #expect(throws: DialectError.self) { try AnthropicMessagesRequest(body: Array(wrong.utf8)) }
        #expect(error?.param == "metadata.user_id")
    }
}
