import Foundation
import Testing
@testable import Dialects

@Suite("OllamaChatRequest")
struct OllamaChatRequestTests {
    private func encoded(_ request: ChatRequest, ollamaModel: String = "llama3.2:latest") throws -> (text: String, object: [String: Any]) {
        let data = try JSONEncoder().encode(OllamaChatRequest(request, ollamaModel: ollamaModel))
        return (String(decoding: data, as: UTF8.self), try jsonObject(Array(data)))
    }

    private let messages = [ChatMessage(role: .system, content: "be brief"), ChatMessage(role: .user, content: "hi")]

    @Test func addressesTheOllamaModelAndCopiesMessages() throws {
        let (_, object) = try encoded(ChatRequest(model: "gpt-4o-mini", messages: messages, stream: true), ollamaModel: "qwen3:8b")
        #expect(object["model"] as? String == "qwen3:8b")
        let sent = try #require(object["messages"] as? [[String: Any]])
        #expect(sent.map { $0["role"] as? String } == ["system", "user"])
        #expect(sent.map { $0["content"] as? String } == ["be brief", "hi"])
        #expect(sent.allSatisfy { $0.count == 2 }, "messages carry only role and content")
    }

    @Test(arguments: [true, false])
    func streamIsAlwaysPresent(stream: Bool) throws {
        let (text, object) = try encoded(ChatRequest(model: "m", messages: messages, stream: stream))
        #expect(text.contains("\"stream\":\(stream)"))
        let value = try #require(object["stream"], "stream must be sent even when false")
        #expect((value as? Bool) == stream)
    }

    @Test func optionsAreOmittedEntirelyWhenNoneAreSet() throws {
        let request = ChatRequest(model: "m", messages: messages, stream: false)
        #expect(OllamaChatRequest(request, ollamaModel: "x").options == nil)
        let (text, object) = try encoded(request)
        #expect(object["options"] == nil)
        #expect(!text.contains("options"))
        #expect(!text.contains("null"))
    }

    @Test func emptyStopListStillCountsAsAnOption() throws {
        let request = ChatRequest(model: "m", messages: messages, stream: false, options: GenerationOptions(stop: []))
        let (_, object) = try encoded(request)
        let options = try #require(object["options"] as? [String: Any])
        #expect((options["stop"] as? [String]) == [])
    }

    @Test func setOptionsUseOllamaNamesAndUnsetOnesAreLeftOut() throws {
        let request = ChatRequest(
            model: "m", messages: messages, stream: true,
            options: GenerationOptions(maxTokens: 128, temperature: 0.7, stop: ["</s>", "User:"])
        )
        let (_, object) = try encoded(request)
        let options = try #require(object["options"] as? [String: Any])
        #expect(options["num_predict"] as? Int == 128)
        #expect(options["temperature"] as? Double == 0.7)
        #expect(options["stop"] as? [String] == ["</s>", "User:"])
        #expect(Set(options.keys) == ["num_predict", "temperature", "stop"])
    }

    @Test func everyOptionIsMapped() throws {
        let request = ChatRequest(
            model: "m", messages: messages, stream: false,
            options: GenerationOptions(
                maxTokens: 1, temperature: 0, topP: 0.5, seed: 7, stop: ["x"], frequencyPenalty: 1.5, presencePenalty: 0.25
            )
        )
        let (_, object) = try encoded(request)
        let options = try #require(object["options"] as? [String: Any])
        #expect(options["num_predict"] as? Int == 1)
        #expect(options["temperature"] as? Double == 0)
        #expect(options["top_p"] as? Double == 0.5)
        #expect(options["seed"] as? Int == 7)
        #expect(options["frequency_penalty"] as? Double == 1.5)
        #expect(options["presence_penalty"] as? Double == 0.25)
        #expect(options.count == 7)
    }

    @Test func specialCharactersInMessagesSurviveEncoding() throws {
        let content = "line1\nline2 \"quoted\" \\ tab\t 😀 \u{0085}\u{2028}"
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: content)], stream: false)
        let (_, object) = try encoded(request)
        let sent = try #require(object["messages"] as? [[String: Any]])
        #expect(sent.first?["content"] as? String == content)
    }
}
