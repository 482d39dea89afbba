import FakeOllama
import Foundation
import Gateway
import HummingbirdTesting
import Testing

/// A client that leaves mid-stream frees Ollama at once, and its request is still logged.
@Suite("Client disconnects")
struct ClientDisconnectTests {
    /// One streaming request per dialect, and what marks its first event.
    static let streams: [(path: String, body: String, firstEvent: String)] = [
        ("/v1/chat/completions", #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#, "\n\n"),
        ("/api/chat", #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#, "}\n"),
    ]

    @Test("Disconnecting mid-stream closes the upstream connection within 100 ms and logs client_closed", arguments: 0..<streams.count)
    func disconnect(_ index: Int) async throws {
        let stream = Self.streams[index]
        // Half a second between chunks: noticing only at the next write would take far longer than 100 ms.
        try await GatewayHarness.run(behavior: .init(chunks: 40, chunkDelay: .milliseconds(500))) { gateway in
            let connection = try RawHTTPConnection(port: try #require(gateway.client.port))
            try connection.post(stream.path, json: stream.body, headers: ["Authorization": "Bearer \(GatewayHarness.masterKey)"])
            _ = try await connection.read(until: stream.firstEvent)
            let hungUp = ContinuousClock.now
            connection.hangUp()

            try await Self.expectUpstreamClosedSoon(gateway.fake, after: hungUp)

            let row = try #require(try await gateway.requestLog(count: 1).first)
            #expect(row.column("status") == "client_closed")
            #expect(row.column("http_status") == "499")
            #expect(row.column("endpoint") == stream.path)
        }
    }

    @Test("Disconnecting while Ollama is still reading the prompt of a whole (non-streamed) call also frees it at once")
    func disconnectWhole() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 3, firstByteDelay: .seconds(3))) { gateway in
            let connection = try RawHTTPConnection(port: try #require(gateway.client.port))
            try connection.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#,
                headers: ["Authorization": "Bearer \(GatewayHarness.masterKey)"]
            )
            while gateway.fake.recordedRequests(path: "/api/chat").isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(100))
            let hungUp = ContinuousClock.now
            connection.hangUp()

            try await Self.expectUpstreamClosedSoon(gateway.fake, after: hungUp)
            let row = try #require(try await gateway.requestLog(count: 1).first)
            #expect(row.column("status") == "client_closed")
            #expect(row.column("stream") == "f")
        }
    }

    /// Waits (up to a second) for the fake's connection to close after `hungUp`; it must within 100 ms.
    static func expectUpstreamClosedSoon(_ fake: FakeOllama, after hungUp: ContinuousClock.Instant) async throws {
        var upstreamClosed: ContinuousClock.Instant?
        for _ in 0..<200 {
            upstreamClosed = fake.connectionClosures.first { $0 >= hungUp }
            if upstreamClosed != nil { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = try #require(upstreamClosed, "Ollama's connection never closed") - hungUp
        #expect(elapsed < .milliseconds(100), "Ollama's connection closed \(elapsed) after the client left")
    }
}
