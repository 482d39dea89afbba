import Foundation
import Testing
@testable import Dialects

@Suite("OpenAIChatResponse and OpenAIErrorBody")
struct OpenAIChatResponseTests {
    private let envelope = OpenAIChatEnvelope(id: "chatcmpl-1", created: 1_234, model: "llama3.2")

    @Test func completionConcatenatesTextWithReasonAndUsage() throws {
        var response = OpenAIChatResponse(envelope: envelope)
        for event: ChatEvent in [.text("Hello"), .text(", "), .text("world \"!\"\n😀")] { response.add(event) }
        response.add(.finished(Completion(finishReason: .length, usage: Usage(promptTokens: 11, completionTokens: 3))))
        #expect(response.completion?.finishReason == .length)
        #expect(response.failure == nil)

        let object = try jsonObject(response.json())
        #expect(object["id"] as? String == "chatcmpl-1")
        #expect(object["object"] as? String == "chat.completion")
        #expect(object["created"] as? Int == 1_234)
        #expect(object["model"] as? String == "llama3.2")
        #expect((object["choices"] as? [Any])?.count == 1)
        let choice = try firstChoice(object)
        #expect(choice["index"] as? Int == 0)
        #expect(choice["finish_reason"] as? String == "length")
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == "Hello, world \"!\"\n😀")
        #expect(message["reasoning"] == nil, "no reasoning key without thinking")
        let usage = try #require(object["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 11)
        #expect(usage["completion_tokens"] as? Int == 3)
        #expect(usage["total_tokens"] as? Int == 14)
    }

    @Test func reasoningIsCollectedSeparately() throws {
        var response = OpenAIChatResponse(envelope: envelope)
        response.add(.thinking("step 1. "))
        response.add(.thinking("step 2."))
        response.add(.text("42"))
        response.add(.finished(Completion(finishReason: .stop, usage: Usage())))
        let message = try #require(try firstChoice(try jsonObject(response.json()))["message"] as? [String: Any])
        #expect(message["content"] as? String == "42")
        #expect(message["reasoning"] as? String == "step 1. step 2.")
    }

    @Test func emptyAnswerIsStillAValidCompletion() throws {
        var response = OpenAIChatResponse(envelope: envelope)
        response.add(.finished(Completion(finishReason: .stop, usage: Usage(promptTokens: 4))))
        let object = try jsonObject(response.json())
        let choice = try firstChoice(object)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == "")
        #expect(choice["finish_reason"] as? String == "stop")
        #expect((object["usage"] as? [String: Any])?["total_tokens"] as? Int == 4)
    }

    @Test func failureIsRecorded() {
        var response = OpenAIChatResponse(envelope: envelope)
        response.add(.text("partial"))
        response.add(.failed(message: "boom"))
        #expect(response.failure == "boom")
        #expect(response.completion == nil)
    }

    @Test func errorBodyHasOpenAIShapeWithNulls() throws {
        let object = try jsonObject(OpenAIErrorBody.json(DialectError(.invalidRequest, "Bad \"thing\"\n")))
        #expect(object.count == 1)
        let error = try #require(object["error"] as? [String: Any])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(error["message"] as? String == "Bad \"thing\"\n")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] is NSNull)
        #expect(error["code"] is NSNull)
    }

    @Test func errorBodyCarriesParamAndCode() throws {
        let body = OpenAIErrorBody.json(DialectError(.notFound, "no such model", param: "model", code: "model_not_found"))
        let error = try #require(try jsonObject(body)["error"] as? [String: Any])
        #expect(error["param"] as? String == "model")
        #expect(error["code"] as? String == "model_not_found")
        #expect(error["type"] as? String == "invalid_request_error")
    }

    @Test(arguments: [
        (DialectError.Kind.invalidRequest, "invalid_request_error"), (.notFound, "invalid_request_error"),
        (.payloadTooLarge, "invalid_request_error"), (.authentication, "authentication_error"),
        (.permission, "permission_error"), (.rateLimited, "rate_limit_error"), (.upstreamUnavailable, "api_error"),
        (.upstreamTimeout, "api_error"), (.overloaded, "api_error"), (.internalError, "api_error"),
    ])
    func errorTypeForEachKind(kind: DialectError.Kind, type: String) throws {
        #expect(OpenAIErrorBody.type(of: kind) == type)
        let error = try #require(try jsonObject(OpenAIErrorBody.json(DialectError(kind, "m")))["error"] as? [String: Any])
        #expect(error["type"] as? String == type)
    }

    @Test func modelListShape() throws {
        let object = try jsonObject(OpenAIModelList.json([
            .init(id: "gpt-4o-mini", created: 1, ownedBy: "tollgate"), .init(id: "llama3.2:latest", created: 2, ownedBy: "ollama"),
        ]))
        #expect(object["object"] as? String == "list")
        let data = try #require(object["data"] as? [[String: Any]])
        #expect(data.map { $0["id"] as? String } == ["gpt-4o-mini", "llama3.2:latest"])
        #expect(data.allSatisfy { $0["object"] as? String == "model" })
        #expect(data.map { $0["owned_by"] as? String } == ["tollgate", "ollama"])
        #expect((try jsonObject(OpenAIModelList.json([])))["data"] as? [Any] != nil)
    }
}
