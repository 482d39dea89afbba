import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Ollama's own API through the gateway: keys, aliases, limits and metering, Ollama's bytes and errors.
@Suite("Ollama native API")
struct OllamaNativeTests {
    static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"say hi to me"}],"options":{"num_predict":50,"top_k":7}}"#

    @Test("A streamed /api/chat passes Ollama's NDJSON through and logs its tokens as dialect ollama")
    func streamedChat() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 6)) { gateway in
            let response = try await gateway.post("/api/chat", json: Self.chat)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/x-ndjson")
            let lines = response.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.count == 7)
            #expect(lines.last?["done"] as? Bool == true)
            #expect(lines.last?["prompt_eval_count"] as? Int == 8)
            // Only the model changed on the way: options Tollgate does not use arrive as sent.
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect(sent["model"] as? String == "llama3.2:latest")
            #expect((sent["options"] as? [String: Any])?["top_k"] as? Int == 7)
            #expect(sent["stream"] == nil)

            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("dialect") == "ollama")
            #expect(row.column("endpoint") == "/api/chat")
            #expect(row.column("stream") == "t")
            #expect(row.column("prompt_tokens") == "8")
            #expect(row.column("completion_tokens") == "6")
            #expect(row.column("cost_micros") == "48")
            #expect(row.column("ttft_ms") != nil)
        }
    }

    @Test("A whole /api/generate answer is Ollama's one object, metered")
    func wholeGenerate() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 4)) { gateway in
            let response = try await gateway.post("/api/generate", json: #"{"model":"llama3.2","prompt":"why is the sky blue","stream":false}"#)
            #expect(response.status == .ok)
            let json = try #require(response.json)
            #expect((json["response"] as? String)?.isEmpty == false)
            #expect(json["done"] as? Bool == true)
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("endpoint") == "/api/generate")
            #expect(row.column("completion_tokens") == "4")
            #expect(row.column("status") == "ok")
        }
    }

    @Test("Embeddings are metered by Ollama's prompt_eval_count")
    func embed() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/api/embed", json: #"{"model":"nomic-embed-text","input":["one two three","four"]}"#)
            #expect(response.status == .ok)
            let json = try #require(response.json)
            #expect((json["embeddings"] as? [[Double]])?.count == 2)
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("endpoint") == "/api/embed")
            #expect(row.column("prompt_tokens") == String(json["prompt_eval_count"] as? Int ?? -1))
        }
    }

    @Test("Errors come in Ollama's shape: bad key, unknown model, Ollama's own failures with its status")
    func errors() async throws {
        try await GatewayHarness.run(behavior: .init(failure: .status(500, "model runner crashed"))) { gateway in
            let unauthenticated = try await gateway.post("/api/chat", json: Self.chat, key: "sk-wrong")
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.json?["error"] is String)

            let unknown = try await gateway.post("/api/chat", json: #"{"model":"nope","messages":[]}"#)
            #expect(unknown.status == .notFound)
            #expect((unknown.json?["error"] as? String)?.contains("nope") == true)

            let empty = try await gateway.post("/api/chat", json: "")
            #expect(empty.status == .badRequest)
            #expect(empty.json?["error"] as? String == "missing request body")

            let failed = try await gateway.post("/api/chat", json: Self.chat)
            #expect(failed.status == .internalServerError)
            #expect(failed.json?["error"] as? String == "model runner crashed")
            let row = try await gateway.logRow(failed.requestID)
            #expect(row.column("status") == "upstream_error")
            #expect(row.column("http_status") == "500")
        }
    }

    @Test("/api/tags lists the aliases and models a key may use; / and /api/version answer like Ollama")
    func listings() async throws {
        try await GatewayHarness.run { gateway in
            let limited = try await gateway.newSecret(#"{"models":["gpt-4o-mini","qwen3"]}"#)
            let tags = try await gateway.get("/api/tags", key: limited)
            #expect(tags.status == .ok)
            let names = (tags.json?["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["gpt-4o-mini", "qwen3:latest"] || names == ["gpt-4o-mini", "qwen3"])
            let alias = (tags.json?["models"] as? [[String: Any]])?.first
            #expect((alias?["details"] as? [String: Any])?["family"] != nil)

            let all = try await gateway.get("/api/tags")
            #expect(((all.json?["models"] as? [[String: Any]])?.count ?? 0) >= 4)

            let root = try await gateway.get("/", key: "")
            #expect(root.text == "Ollama is running")
            let version = try await gateway.get("/api/version", key: "")
            #expect(version.json?["version"] is String)

            let show = try await gateway.post("/api/show", json: #"{"model":"llama3.2"}"#, key: limited)
            #expect(show.status == .forbidden)
            let shown = try await gateway.post("/api/show", json: #"{"model":"gpt-4o-mini"}"#, key: limited)
            #expect(shown.status == .ok)
            #expect(shown.json?["capabilities"] != nil)
        }
    }
}
