import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// OpenAI chat completions through the gateway to a fake Ollama, recorded in PostgreSQL.
@Suite("Chat completions")
struct ChatCompletionsTests {
    @Test("A non-streamed chat returns chat.completion with usage, and logs one row with the tokens")
    func nonStreamed() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 7)) { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"say hi to me"}]}"#
            )
            #expect(response.status == .ok)
            let json = try #require(response.json)
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "gpt-4o-mini")
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect((message["content"] as? String)?.isEmpty == false)
            #expect(choice["finish_reason"] as? String == "stop")
            let usage = try #require(json["usage"] as? [String: Int])
            // The fake counts 1 token per word plus 4 per message: "say hi to me" is 4 + 4.
            #expect(usage["prompt_tokens"] == 8)
            #expect(usage["completion_tokens"] == 7)
            #expect(usage["total_tokens"] == 15)

            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("key_id") == "master")
            #expect(row.column("dialect") == "openai")
            #expect(row.column("endpoint") == "/v1/chat/completions")
            #expect(row.column("requested_model") == "gpt-4o-mini")
            #expect(row.column("served_model") == "llama3.2:latest")
            #expect(row.column("stream") == "f")
            #expect(row.column("status") == "ok")
            #expect(row.column("http_status") == "200")
            #expect(row.column("prompt_tokens") == "8")
            #expect(row.column("completion_tokens") == "7")
            // 8 × $1.50 + 7 × $6.00 per million tokens = 12 + 42 micro-dollars.
            #expect(row.column("cost_micros") == "54")
            #expect(row.column("ollama_eval_ns").flatMap(Int64.init).map { $0 > 0 } == true)
            #expect(row.column("ttft_ms").flatMap(Double.init) != nil)

            // The native request Ollama received: model resolved, stream explicit.
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect(sent["model"] as? String == "llama3.2:latest")
            #expect(sent["stream"] as? Bool == false)
        }
    }

    @Test("A streamed chat returns chat.completion.chunk events, a usage chunk and [DONE]")
    func streamed() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 5)) { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"llama3.2","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))
            let events = response.sseEvents
            #expect(events.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            #expect(Set(events.compactMap { $0["id"] as? String }).count == 1)
            let deltas = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
            #expect(deltas.first?["role"] as? String == "assistant")
            let text = deltas.compactMap { $0["content"] as? String }.joined()
            #expect(text == String(repeating: "word ", count: 5))
            let finish = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
            #expect(finish == ["stop"])
            let usage = try #require(events.last?["usage"] as? [String: Int])
            #expect(usage["completion_tokens"] == 5)
            #expect((events.last?["choices"] as? [Any])?.isEmpty == true)

            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("stream") == "t")
            #expect(row.column("status") == "ok")
            #expect(row.column("completion_tokens") == "5")
            #expect(row.column("prompt_tokens") == "5")
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect(sent["stream"] as? Bool == true)
        }
    }

    @Test("Without include_usage a stream has no usage chunk, but the usage is still logged")
    func streamedWithoutUsageChunk() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 3)) { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(response.sseEvents.allSatisfy { $0["usage"] == nil })
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("completion_tokens") == "3")
        }
    }

    @Test("Lines cut at arbitrary bytes, inside UTF-8 characters, reach the client intact")
    func adversarialFraming() async throws {
        let reply = "Ünïcödé 😀 漢字 next\u{85}line \u{2028} \"quoted\" <tag> & done"
        try await GatewayHarness.run(behavior: .init(chunks: 9, splitWrites: true, replyText: reply)) { gateway in
            let streamed = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            let deltas = streamed.sseEvents.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
            #expect(deltas.compactMap { $0["content"] as? String }.joined() == reply)
            let whole = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            let message = (whole.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
            #expect(message?["content"] as? String == reply)
        }
    }

    @Test("Sampling options reach Ollama as native options")
    func options() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"llama3.2","max_tokens":3,"temperature":0.2,"stop":"END","seed":7,"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}]}"#
            )
            #expect(response.status == .ok)
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let options = try #require(sent["options"] as? [String: Any])
            #expect(options["num_predict"] as? Int == 3)
            #expect(options["temperature"] as? Double == 0.2)
            #expect(options["stop"] as? [String] == ["END"])
            #expect(options["seed"] as? Int == 7)
            let roles = (sent["messages"] as? [[String: Any]])?.compactMap { $0["role"] as? String }
            #expect(roles == ["system", "user"])
            // num_predict 3 < 5 chunks: the fake stops early with done_reason "length".
            let choice = (response.json?["choices"] as? [[String: Any]])?.first
            #expect(choice?["finish_reason"] as? String == "length")
        }
    }

    @Test("GET /v1/models lists the aliases and Ollama's models")
    func models() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.get("/v1/models")
            #expect(response.status == .ok)
            #expect(response.json?["object"] as? String == "list")
            let ids = (response.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids.prefix(2) == ["gpt-4o-mini", "missing-alias"])
            #expect(ids.contains("llama3.2:latest"))
            #expect(response.requestID != nil)
        }
    }

    @Test("With expose_all_models off only aliases resolve")
    func aliasesOnly() async throws {
        try await GatewayHarness.run(configure: { $0.ollama.exposeAllModels = false }) { gateway in
            let direct = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(direct.status == .notFound)
            let alias = try await gateway.post("/v1/chat/completions", json: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(alias.status == .ok)
        }
    }
}
