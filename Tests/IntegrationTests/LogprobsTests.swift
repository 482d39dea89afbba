import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Log probabilities end to end: each dialect's request reaches the fake Ollama as `logprobs`/`top_logprobs`,
/// and the fake's entries (one per text chunk) come back in the dialect's shape, whole and streamed.
@Suite("Log probabilities through the gateway")
struct LogprobsGatewayTests {
    /// The fake's answer text, as the tokens its entries carry.
    static func tokens(_ entries: [[String: Any]]?) -> String { (entries ?? []).compactMap { $0["token"] as? String }.joined() }

    @Test("OpenAI chat: whole and streamed answers carry one entry per token, with top_logprobs alternatives")
    func chat() async throws {
        try await GatewayHarness.run { gateway in
            let body = #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2"#
            let whole = try await gateway.post("/v1/chat/completions", json: body + "}")
            #expect(whole.status == .ok, "\(whole.text)")
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect(sent["logprobs"] as? Bool == true && sent["top_logprobs"] as? Int == 2)
            let choice = try #require((whole.json?["choices"] as? [[String: Any]])?.first)
            let content = (choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]
            let text = (choice["message"] as? [String: Any])?["content"] as? String
            #expect(!Self.tokens(content).isEmpty && Self.tokens(content) == text)
            #expect((content?.first?["top_logprobs"] as? [Any])?.count == 2)

            let streamed = try await gateway.post("/v1/chat/completions", json: body + #","stream":true}"#)
            let chunks = streamed.sseEvents.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            let streamedEntries = chunks.flatMap { ($0["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? [] }
            let streamedText = chunks.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(Self.tokens(streamedEntries) == streamedText && streamedText == text)

            let refused = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":25}"#)
            #expect(refused.status == .badRequest)
            #expect(refused.openAIError?["param"] as? String == "top_logprobs")
        }
    }

    @Test("completions, Responses and the native API: each gets the fake's entries in its own shape")
    func otherDialects() async throws {
        try await GatewayHarness.run { gateway in
            let completion = try await gateway.post("/v1/completions", json: #"{"model":"llama3.2","prompt":"hi","logprobs":1}"#)
            #expect(completion.status == .ok, "\(completion.text)")
            let choice = try #require((completion.json?["choices"] as? [[String: Any]])?.first)
            let legacy = try #require(choice["logprobs"] as? [String: Any])
            #expect((legacy["tokens"] as? [String])?.joined() == choice["text"] as? String)
            #expect((legacy["text_offset"] as? [Int])?.first == 0)

            let responses = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","input":"hi","store":false,"include":["message.output_text.logprobs"],"top_logprobs":1}"#
            )
            #expect(responses.status == .ok, "\(responses.text)")
            let message = (responses.json?["output"] as? [[String: Any]])?.first { $0["type"] as? String == "message" }
            let part = (message?["content"] as? [[String: Any]])?.first
            #expect(Self.tokens(part?["logprobs"] as? [[String: Any]]).isEmpty == false)
            #expect(Self.tokens(part?["logprobs"] as? [[String: Any]]) == part?["text"] as? String)

            let native = try await gateway.post(
                "/api/chat", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false,"logprobs":true,"top_logprobs":1}"#
            )
            #expect(native.status == .ok, "\(native.text)")
            #expect(Self.tokens(native.json?["logprobs"] as? [[String: Any]]) == (native.json?["message"] as? [String: Any])?["content"] as? String)
        }
    }
}
