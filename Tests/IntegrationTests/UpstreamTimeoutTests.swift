import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// An Ollama that goes silent mid-answer without closing (a wedged GPU), or runs past the request's time
/// limit, ends the stream with the dialect's in-stream error and a usage row saying `upstream_timeout`,
/// however many keep-alives the client was sent meanwhile.
@Suite("Upstream timeouts", .timeLimit(.minutes(2)))
struct UpstreamTimeoutTests {
    static let stalled = FakeOllamaBehavior(chunks: 6, failure: .stallAfter(chunks: 2))
    /// Slack allowed past a bound as the client sees it: the whole request (authentication, admission, the
    /// fake's answer) on a test machine shared with other builds. The precise check is `expectTimedOutRow`'s.
    static let slack = Duration.seconds(6)
    /// The stream's silence as the usage row measures it (`duration_ms - ttft_ms`): from the gateway handling
    /// Ollama's first chunk (the second follows at once) to the end. It may fall short of the bound by the delay
    /// in handling that chunk, and run past it by the curl loop noticing and the gateway writing the end.
    static let idleEarlyMs = 300.0
    static let idleLateMs = 1000.0

    /// A 1 s idle bound, and keep-alives every 200 ms (five of them would fall in every idle second).
    static func configure(_ config: inout GatewayConfig) {
        config.ollama.streamIdleTimeoutSeconds = 1
        config.server.streamKeepAliveMs = 200
    }

    /// Runs `call` and returns its response and how long it took.
    static func timed(_ call: () async throws -> TestResponse) async throws -> (TestResponse, Duration) {
        let started = ContinuousClock.now
        let response = try await call()
        return (response, started.duration(to: .now))
    }

    static func expectTimedOutRow(_ gateway: GatewayHarness, _ response: TestResponse, idle: Bool = true) async throws {
        let row = try await gateway.logRow(response.requestID)
        #expect(row.column("status") == "timeout")
        #expect(row.column("error_type") == "upstream_timeout")
        #expect(row.column("stream") == "t")
        guard idle else { return }
        // The two chunks come at once, then silence: from the first token to the end is the idle bound.
        let silence = try #require(row.column("duration_ms").flatMap(Double.init)) - (try #require(row.column("ttft_ms").flatMap(Double.init)))
        #expect(
            silence >= 1000 - Self.idleEarlyMs && silence < 1000 + Self.idleLateMs, "the stream ended \(silence) ms after Ollama's last chunk"
        )
    }

    @Test("OpenAI: a stalled stream ends with an error chunk and no [DONE] within the idle bound plus slack")
    func openAI() async throws {
        try await GatewayHarness.run(behavior: Self.stalled, configure: Self.configure) { gateway in
            let (response, elapsed) = try await Self.timed {
                try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            }
            #expect(response.status == .ok)
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(1) + Self.slack, "ended after \(elapsed)")
            #expect(!response.text.contains("[DONE]"))
            let error = try #require(response.sseEvents.last?["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("stopped sending") == true)
            #expect(response.sseEvents.dropLast().count == 2, "the two chunks Ollama sent reach the client")
            let afterData = try #require(response.text.range(of: "data: ", options: .backwards))
            #expect(response.text[..<afterData.lowerBound].contains(": keep-alive"), "keep-alives went out during the silence")
            try await Self.expectTimedOutRow(gateway, response)
        }
    }

    @Test("Anthropic: a stalled stream ends with event: error, pings meanwhile, no message_stop")
    func anthropic() async throws {
        try await GatewayHarness.run(behavior: Self.stalled, configure: Self.configure) { gateway in
            let (response, elapsed) = try await Self.timed {
                try await gateway.client.execute(
                    uri: "/v1/messages", method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("x-api-key")!: GatewayHarness.masterKey],
                    body: ByteBuffer(string: #"{"model":"llama3.2","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
                )
            }
            #expect(response.status == .ok)
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(1) + Self.slack, "ended after \(elapsed)")
            let names = response.text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            #expect(names.last == "error")
            #expect(names.contains("ping"))
            #expect(!names.contains("message_stop"))
            try await Self.expectTimedOutRow(gateway, response)
        }
    }

    @Test("Native: a stalled stream ends with an {\"error\": …} NDJSON line")
    func native() async throws {
        try await GatewayHarness.run(behavior: Self.stalled, configure: Self.configure) { gateway in
            let (response, elapsed) = try await Self.timed {
                try await gateway.post("/api/chat", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            }
            #expect(response.status == .ok)
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(1) + Self.slack, "ended after \(elapsed)")
            let lines = response.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.count == 3)
            #expect(lines.prefix(2).allSatisfy { $0?["done"] as? Bool == false })
            #expect((lines.last??["error"] as? String)?.contains("stopped sending") == true)
            try await Self.expectTimedOutRow(gateway, response)
        }
    }

    @Test("The request time limit ends a stream that is still flowing")
    func totalDeadlineMidStream() async throws {
        let behavior = FakeOllamaBehavior(chunks: 20, chunkDelay: .milliseconds(200))
        try await GatewayHarness.run(behavior: behavior, configure: { $0.ollama.requestTimeoutSeconds = 1 }) { gateway in
            let (response, elapsed) = try await Self.timed {
                try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            }
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(1) + Self.slack, "ended after \(elapsed)")
            #expect(!response.text.contains("[DONE]"))
            let error = try #require(response.sseEvents.last?["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("time limit") == true)
            try await Self.expectTimedOutRow(gateway, response, idle: false)
        }
    }

    @Test("The request time limit before the first byte is a 504 in the caller's dialect")
    func totalDeadlineBeforeFirstByte() async throws {
        let behavior = FakeOllamaBehavior(chunks: 2, firstByteDelay: .seconds(5))
        try await GatewayHarness.run(behavior: behavior, configure: { $0.ollama.requestTimeoutSeconds = 1 }) { gateway in
            let openAI = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(openAI.status == .gatewayTimeout)
            #expect(openAI.openAIError?["code"] as? String == "upstream_timeout")
            let native = try await gateway.post("/api/chat", json: #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(native.status == .gatewayTimeout)
            #expect(native.json?["error"] is String)
            #expect(try await gateway.logRow(openAI.requestID).column("error_type") == "upstream_timeout")
        }
    }

    @Test("A non-streamed answer that stalls halfway is a 504 after the idle bound")
    func stalledWhole() async throws {
        try await GatewayHarness.run(behavior: Self.stalled, configure: Self.configure) { gateway in
            let (response, elapsed) = try await Self.timed {
                try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            }
            #expect(response.status == .gatewayTimeout)
            #expect(elapsed < .seconds(1) + Self.slack, "ended after \(elapsed)")
            #expect(try await gateway.logRow(response.requestID).column("status") == "timeout")
        }
    }
}
