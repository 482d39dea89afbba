import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Anthropic's Messages API through the gateway, as the Anthropic SDK and Claude Code call it.
@Suite("Anthropic messages")
struct AnthropicMessagesTests {
    static let body = #"{"model":"gpt-4o-mini","max_tokens":64,"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=1; cch=abc;"},{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":"say hi to me"}]}"#

    /// POSTs with Anthropic's headers: `x-api-key` and `anthropic-version`.
    static func post(_ gateway: GatewayHarness, _ path: String, json: String, key: String = GatewayHarness.masterKey) async throws -> TestResponse {
        let headers: HTTPFields = [
            .contentType: "application/json", HTTPField.Name("x-api-key")!: key, HTTPField.Name("anthropic-version")!: "2023-06-01",
        ]
        return try await gateway.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    @Test("A whole answer is an Anthropic message with usage; the billing line never reaches Ollama")
    func whole() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 5)) { gateway in
            let response = try await Self.post(gateway, "/v1/messages?beta=true", json: Self.body)
            #expect(response.status == .ok)
            let json = try #require(response.json)
            #expect(json["type"] as? String == "message")
            #expect((json["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(json["model"] as? String == "gpt-4o-mini")
            #expect(json["stop_reason"] as? String == "end_turn")
            let content = try #require(json["content"] as? [[String: Any]])
            #expect(content.first?["type"] as? String == "text")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["output_tokens"] as? Int == 5)

            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let messages = try #require(sent["messages"] as? [[String: Any]])
            #expect(messages.first?["role"] as? String == "system")
            #expect(messages.first?["content"] as? String == "be brief")
            #expect((sent["options"] as? [String: Any])?["num_predict"] as? Int == 64)

            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("dialect") == "anthropic")
            #expect(row.column("endpoint") == "/v1/messages")
            #expect(row.column("completion_tokens") == "5")
        }
    }

    @Test("A stream follows Anthropic's event order and ends with message_stop")
    func streamed() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 3)) { gateway in
            let response = try await Self.post(gateway, "/v1/messages", json: Self.body.replacingOccurrences(of: #""max_tokens":64"#, with: #""max_tokens":64,"stream":true"#))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let names = response.text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names == [
                "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop",
            ])
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("stream") == "t")
            #expect(row.column("status") == "ok")
        }
    }

    @Test("An error mid-stream is an error event with nothing after it")
    func midStreamError() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 5, failure: .errorLineAfter(chunks: 2, message: "runner crashed"))) { gateway in
            let response = try await Self.post(gateway, "/v1/messages", json: Self.body.replacingOccurrences(of: #""max_tokens":64"#, with: #""max_tokens":64,"stream":true"#))
            let names = response.text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names.last == "error")
            #expect(!names.contains("message_stop"))
            #expect(response.text.contains("runner crashed"))
            #expect(try await gateway.logRow(response.requestID).column("status") == "upstream_error")
        }
    }

    @Test("Errors use Anthropic's shape and types: bad key, unknown model, missing max_tokens")
    func errors() async throws {
        try await GatewayHarness.run { gateway in
            func error(_ response: TestResponse) -> (type: String?, errorType: String?) {
                (response.json?["type"] as? String, (response.json?["error"] as? [String: Any])?["type"] as? String)
            }
            let badKey = try await Self.post(gateway, "/v1/messages", json: Self.body, key: "sk-nope")
            #expect(badKey.status == .unauthorized)
            #expect(error(badKey) == ("error", "authentication_error"))
            let unknown = try await Self.post(gateway, "/v1/messages", json: Self.body.replacingOccurrences(of: "gpt-4o-mini", with: "claude-x"))
            #expect(unknown.status == .notFound)
            #expect(error(unknown) == ("error", "not_found_error"))
            let invalid = try await Self.post(gateway, "/v1/messages", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(invalid.status == .badRequest)
            #expect(error(invalid) == ("error", "invalid_request_error"))
            #expect(((invalid.json?["error"] as? [String: Any])?["message"] as? String)?.contains("max_tokens") == true)
        }
    }

    @Test("count_tokens answers an estimate without calling Ollama")
    func countTokens() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await Self.post(gateway, "/v1/messages/count_tokens?beta=true", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hello there, how are you today?"}]}"#)
            #expect(response.status == .ok)
            let tokens = try #require(response.json?["input_tokens"] as? Int)
            #expect(tokens > 5 && tokens < 40)
            #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)
        }
    }

    @Test("tool_use out, tool_result back (is_error marked), thinking blocks from a thinking model")
    func toolsAndThinking() async throws {
        try await GatewayHarness.run { gateway in
            let tools = #"[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]"#
            let first = try await Self.post(
                gateway, "/v1/messages",
                json: #"{"model":"qwen3","max_tokens":256,"thinking":{"type":"enabled","budget_tokens":1024},"tools":\#(tools),"messages":[{"role":"user","content":"call a tool"}]}"#
            )
            #expect(first.status == .ok)
            #expect(first.json?["stop_reason"] as? String == "tool_use")
            let blocks = try #require(first.json?["content"] as? [[String: Any]])
            #expect(blocks.first?["type"] as? String == "thinking")
            let use = try #require(blocks.first { $0["type"] as? String == "tool_use" })
            let id = try #require(use["id"] as? String)
            #expect(use["name"] as? String == "get_weather")
            #expect(use["input"] is [String: Any])

            let second = try await Self.post(
                gateway, "/v1/messages",
                json: #"{"model":"llama3.2","max_tokens":256,"thinking":{"type":"enabled","budget_tokens":1024},"tools":\#(tools),"messages":[{"role":"user","content":"call a tool"},{"role":"assistant","content":[{"type":"tool_use","id":"\#(id)","name":"get_weather","input":{"city":"Oslo"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"\#(id)","content":"no such city","is_error":true},{"type":"text","text":"try again"}]}]}"#
            )
            // llama3.2 cannot think: the request is answered without thinking instead of refused.
            #expect(second.status == .ok)
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect(sent["think"] == nil)
            let messages = try #require(sent["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "tool", "user"])
            #expect(messages[2]["content"] as? String == "Error: no such city")
            #expect(messages[2]["tool_name"] as? String == "get_weather")
            #expect(messages[2]["tool_call_id"] as? String == id)
        }
    }
}
