import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Streams that go wrong after they began end with an in-stream error, never a fake success.
@Suite("Stream failures")
struct StreamFailureTests {
    static let streamed = #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    @Test("An error line mid-stream becomes an OpenAI error event with no [DONE]")
    func errorLine() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 6, failure: .errorLineAfter(chunks: 2, message: "model runner crashed"))) { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: Self.streamed)
            #expect(response.status == .ok)
            #expect(!response.text.contains("[DONE]"))
            let events = response.sseEvents
            let error = try #require(events.last?["error"] as? [String: Any])
            #expect(error["message"] as? String == "model runner crashed")
            #expect(error["type"] as? String == "api_error")
            #expect(events.dropLast().count == 2)
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("status") == "upstream_error")
        }
    }

    @Test("A dropped upstream connection mid-stream becomes an error event and is logged as failed")
    func droppedConnection() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 6, failure: .dropAfter(chunks: 3))) { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: Self.streamed)
            #expect(!response.text.contains("[DONE]"))
            #expect(response.sseEvents.last?["error"] != nil)
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("status") == "upstream_error")
            #expect(row.column("stream") == "t")
        }
    }

    @Test("A dropped connection on a non-streamed call is a 502")
    func droppedWhole() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 6, failure: .dropAfter(chunks: 3))) { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(response.status == .badGateway)
            #expect(response.openAIError != nil)
            #expect(try await gateway.logRow(response.requestID).column("status") == "upstream_error")
        }
    }
}
