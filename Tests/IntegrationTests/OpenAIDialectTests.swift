import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// The rest of OpenAI's API through the gateway: tools, images, structured output, reasoning,
/// completions, embeddings and single models.
@Suite("OpenAI dialect")
struct OpenAIDialectTests {
    static let weatherTool = #"{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}"#

    @Test("A tool call round trip: the call comes out with an id, the result goes back as a tool message")
    func toolRoundTrip() async throws {
        try await GatewayHarness.run { gateway in
            let first = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"qwen3","reasoning_effort":"none","tools":[\#(Self.weatherTool)],"messages":[{"role":"user","content":"please call a tool"}]}"#
            )
            #expect(first.status == .ok)
            let choice = try #require((first.json?["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice["message"] as? [String: Any])
            let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
            let id = try #require(call["id"] as? String)
            let function = try #require(call["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather")
            #expect(function["arguments"] as? String == "{}")
            // The tool definition reached Ollama with its schema's members in the client's order.
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.body)
            #expect(String(decoding: sent, as: UTF8.self).contains(#""parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#))
            #expect(String(decoding: sent, as: UTF8.self).contains(#""think":false"#))

            let second = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"qwen3","tools":[\#(Self.weatherTool)],"messages":[{"role":"user","content":"please call a tool"},{"role":"assistant","content":null,"tool_calls":[{"id":"\#(id)","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\",\"unit\":\"c\"}"}}]},{"role":"tool","tool_call_id":"\#(id)","content":"4 degrees"},{"role":"user","content":"thanks"}]}"#
            )
            #expect(second.status == .ok)
            let replay = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let messages = try #require(replay["messages"] as? [[String: Any]])
            let tool = try #require(messages.first { $0["role"] as? String == "tool" })
            #expect(tool["tool_name"] as? String == "get_weather")
            #expect(tool["tool_call_id"] as? String == id)
            let replayed = try #require(String(data: gateway.fake.recordedRequests(path: "/api/chat").last?.body ?? Data(), encoding: .utf8))
            #expect(replayed.contains(#""arguments":{"city":"Oslo","unit":"c"}"#))
        }
    }

    @Test("A streamed tool call arrives as one delta with index 0, id and name; finish_reason tool_calls")
    func streamedToolCall() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"qwen3","stream":true,"tools":[\#(Self.weatherTool)],"messages":[{"role":"user","content":"call a tool"}]}"#
            )
            let deltas = response.sseEvents.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            let calls = deltas.compactMap { ($0["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }.flatMap { $0 }
            #expect(calls.count == 1)
            #expect(calls.first?["index"] as? Int == 0)
            #expect((calls.first?["id"] as? String)?.hasPrefix("call_") == true)
            #expect(deltas.last?["finish_reason"] as? String == "tool_calls")
            #expect(deltas.contains { ($0["delta"] as? [String: Any])?["reasoning"] != nil })
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test("Images: a data URL reaches Ollama as bare base64; a remote URL to a loopback address is a clear 400")
    func images() async throws {
        try await GatewayHarness.run { gateway in
            let ok = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"llava","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}"#
            )
            #expect(ok.status == .ok)
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let message = try #require((sent["messages"] as? [[String: Any]])?.first)
            #expect(message["content"] as? String == "what is this")
            #expect(message["images"] as? [String] == ["iVBORw0KGgo="])

            let remote = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"llava","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://127.0.0.1:9/cat.png"}}]}]}"#
            )
            #expect(remote.status == .badRequest)
            #expect((remote.openAIError?["message"] as? String)?.contains("loopback") == true)
        }
    }

    @Test("response_format json_schema becomes Ollama's format; n > 1 is refused; thinking is dropped for models that cannot")
    func requestMapping() async throws {
        try await GatewayHarness.run { gateway in
            let schema = try await gateway.post(
                "/v1/chat/completions",
                json: #"{"model":"llama3.2","reasoning_effort":"high","max_completion_tokens":9,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"number"}}}}},"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(schema.status == .ok)
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last)
            let text = String(decoding: sent.body, as: UTF8.self)
            #expect(text.contains(#""format":{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"number"}}}"#))
            #expect(!text.contains(#""think""#))
            #expect((sent.jsonObject?["options"] as? [String: Any])?["num_predict"] as? Int == 9)

            let many = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","n":2,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(many.status == .badRequest)
            #expect(many.openAIError?["param"] as? String == "n")
            #expect(many.headers[HTTPField.Name("x-should-retry")!] == "false")
        }
    }

    @Test("/v1/completions streams text_completion chunks from /api/generate and logs them")
    func completions() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 4)) { gateway in
            let whole = try await gateway.post("/v1/completions", json: #"{"model":"llama3.2","prompt":"def add(a, b):","max_tokens":16}"#)
            #expect(whole.status == .ok)
            #expect(whole.json?["object"] as? String == "text_completion")
            #expect(((whole.json?["choices"] as? [[String: Any]])?.first?["text"] as? String)?.isEmpty == false)

            let streamed = try await gateway.post("/v1/completions", json: #"{"model":"llama3.2","prompt":"def add(a, b):","stream":true}"#)
            #expect(streamed.sseEvents.count == 5)
            #expect(streamed.text.hasSuffix("data: [DONE]\n\n"))
            let row = try await gateway.logRow(streamed.requestID)
            #expect(row.column("endpoint") == "/v1/completions")
            #expect(row.column("completion_tokens") == "4")
        }
    }

    @Test("/v1/embeddings: floats or base64 little-endian float32, metered by prompt tokens")
    func embeddings() async throws {
        try await GatewayHarness.run { gateway in
            let floats = try await gateway.post("/v1/embeddings", json: #"{"model":"nomic-embed-text","input":["one two","three"]}"#)
            #expect(floats.status == .ok)
            let data = try #require(floats.json?["data"] as? [[String: Any]])
            let vector = try #require(data.first?["embedding"] as? [Double])
            #expect(vector.count == 768)

            let encoded = try await gateway.post("/v1/embeddings", json: #"{"model":"nomic-embed-text","input":"one two","encoding_format":"base64"}"#)
            let base64 = try #require(((encoded.json?["data"] as? [[String: Any]])?.first?["embedding"] as? String))
            let bytes = try #require(Data(base64Encoded: base64))
            #expect(bytes.count == 768 * 4)
            let first = bytes.prefix(4).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
            #expect(abs(Double(first) - vector[0]) < 1e-6)

            let usage = try #require(floats.json?["usage"] as? [String: Int])
            let row = try await gateway.logRow(floats.requestID)
            #expect(row.column("endpoint") == "/v1/embeddings")
            #expect(row.column("prompt_tokens") == String(usage["prompt_tokens"] ?? -1))

            let empty = try await gateway.post("/v1/embeddings", json: #"{"model":"nomic-embed-text","input":[]}"#)
            #expect(empty.status == .badRequest)
        }
    }

    @Test("/v1/models/{id}: a listed model or alias, 404 otherwise; Anthropic's shape on anthropic-version")
    func models() async throws {
        try await GatewayHarness.run { gateway in
            let alias = try await gateway.get("/v1/models/gpt-4o-mini")
            #expect(alias.json?["id"] as? String == "gpt-4o-mini")
            #expect(alias.json?["object"] as? String == "model")
            let tagged = try await gateway.get("/v1/models/llama3.2:latest")
            #expect(tagged.status == .ok)
            #expect(try await gateway.get("/v1/models/nope").status == .notFound)

            let anthropic = try await gateway.client.execute(
                uri: "/v1/models", method: .get,
                headers: [.authorization: "Bearer \(GatewayHarness.masterKey)", HTTPField.Name("anthropic-version")!: "2023-06-01"]
            )
            let first = try #require((anthropic.json?["data"] as? [[String: Any]])?.first)
            #expect(first["type"] as? String == "model")
            #expect(anthropic.json?["has_more"] as? Bool == false)
        }
    }
}
