import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Streams Ollama takes long to begin (loading a model, reading a long prompt) stay open with keep-alives.
@Suite("Slow streams")
struct SlowStreamTests {
    static func configure(_ config: inout GatewayConfig) {
        config.server.streamHeadGraceMs = 100
        config.server.streamKeepAliveMs = 200
    }

    @Test("OpenAI: keep-alive comments while Ollama has not begun, then the answer and [DONE]")
    func openAI() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 3, firstByteDelay: .milliseconds(1500)), configure: Self.configure) { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(response.status == .ok)
            let text = response.text
            let firstData = try #require(text.range(of: "data: "))
            #expect(text[..<firstData.lowerBound].components(separatedBy: ": keep-alive\n\n").count - 1 >= 2)
            #expect(response.sseEvents.count == 4)
            #expect(text.hasSuffix("data: [DONE]\n\n"))
            #expect(try await gateway.logRow(response.requestID).column("status") == "ok")
        }
    }

    @Test("Anthropic: message_start and pings first; Ollama's late refusal becomes an error event")
    func anthropicRefusal() async throws {
        let behavior = FakeOllamaBehavior(chunks: 3, firstByteDelay: .milliseconds(1500), failure: .status(500, "model failed to load"))
        try await GatewayHarness.run(behavior: behavior, configure: Self.configure) { gateway in
            let response = try await gateway.client.execute(
                uri: "/v1/messages", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("x-api-key")!: GatewayHarness.masterKey],
                body: ByteBuffer(string: #"{"model":"llama3.2","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            )
            #expect(response.status == .ok)
            let names = response.text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names.first == "message_start")
            #expect(names.filter { $0 == "ping" }.count >= 2)
            #expect(names.last == "error")
            #expect(!names.contains("message_stop"))
            #expect(response.text.contains("model failed to load"))
            #expect(try await gateway.logRow(response.requestID).column("status") == "upstream_error")
        }
    }

    @Test("A refusal within the grace is still a plain HTTP error")
    func quickRefusal() async throws {
        // The default grace (2 s): Ollama refuses in milliseconds, even on a loaded machine.
        try await GatewayHarness.run(behavior: .init(failure: .status(400, "\"llama3.2\" does not support tools"))) { gateway in
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(response.status == .badRequest)
            #expect((response.openAIError?["message"] as? String)?.contains("does not support tools") == true)
        }
    }
}
