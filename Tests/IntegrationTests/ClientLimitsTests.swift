import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Clients that are slow or hold connections: each deadline closes its connection, the connection cap
/// turns new ones away, and none of it cuts a stream that is being answered.
@Suite("Client deadlines and connection cap")
struct ClientLimitsTests {
    static func configure(_ config: inout GatewayConfig) {
        config.server.headerTimeoutSeconds = 1
        config.server.bodyTimeoutSeconds = 1
        config.server.keepAliveIdleTimeoutSeconds = 1
    }

    @Test("An idle connection is closed after keepalive_idle_timeout_s, and counted")
    func idleConnection() async throws {
        try await GatewayHarness.run(configure: Self.configure) { gateway in
            let connection = try RawHTTPConnection(port: try #require(gateway.client.port))
            let start = ContinuousClock.now
            #expect(await connection.closed(within: .seconds(5)) != nil, "the idle connection is still open")
            #expect(start.duration(to: .now) >= .milliseconds(900))
            #expect(try await Metrics.value(gateway, fresh: true, #"tollgate_connections_timed_out_total{reason="idle_timeout"}"#) >= 1)
        }
    }

    @Test("A head sent a byte at a time is cut at header_timeout_s although bytes keep coming")
    func slowloris() async throws {
        try await GatewayHarness.run(configure: Self.configure) { gateway in
            let connection = try RawHTTPConnection(port: try #require(gateway.client.port))
            let head = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + String(repeating: "a", count: 200) + "\r\n\r\n"
            let start = ContinuousClock.now
            var closedAfter: Duration?
            for byte in head {
                // A byte every 50 ms: the idle deadline never fires, only the head's total one can.
                // A write refused because the gateway already closed the connection is the cut too.
                var cut = (try? connection.write(String(byte))) == nil
                if !cut { cut = await connection.closed(within: .milliseconds(50)) != nil }
                if cut {
                    closedAfter = start.duration(to: .now)
                    break
                }
            }
            let after = try #require(closedAfter, "the trickled head was never cut")
            #expect(after < .seconds(3))
            #expect(try await Metrics.value(gateway, fresh: true, #"tollgate_connections_timed_out_total{reason="header_timeout"}"#) >= 1)
        }
    }

    @Test("A chunked body that never ends and a body shorter than its Content-Length are cut at body_timeout_s")
    func unfinishedBodies() async throws {
        try await GatewayHarness.run(configure: Self.configure) { gateway in
            let port = try #require(gateway.client.port)
            let chunked = try RawHTTPConnection(port: port)
            try chunked.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{\"mod\r\n")
            let short = try RawHTTPConnection(port: port)
            try short.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nContent-Type: application/json\r\n\r\n{\"model\":")
            // The chunked one keeps sending chunks, under the idle deadline, never the last one.
            let start = ContinuousClock.now
            var chunkedClosed = false
            while start.duration(to: .now) < .seconds(4) && !chunkedClosed {
                if (try? chunked.write("1\r\na\r\n")) == nil { chunkedClosed = true }
                if await chunked.closed(within: .milliseconds(200)) != nil { chunkedClosed = true }
            }
            #expect(chunkedClosed, "the endless chunked body was never cut")
            #expect(await short.closed(within: .seconds(3)) != nil, "the short body was never cut")
            #expect(try await Metrics.value(gateway, fresh: true, #"tollgate_connections_timed_out_total{reason="body_timeout"}"#) >= 2)
        }
    }

    @Test("A stream answered for longer than every deadline is not cut")
    func longStream() async throws {
        try await GatewayHarness.run(behavior: .init(chunks: 12, chunkDelay: .milliseconds(250)), configure: Self.configure) { gateway in
            let start = ContinuousClock.now
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(start.duration(to: .now) > .seconds(2.5))
            #expect(response.status == .ok)
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))
            #expect(response.sseEvents.count >= 12)
        }
    }

    @Test("Past max_connections a new connection is closed at once and counted; a freed place is usable again")
    func connectionCap() async throws {
        try await GatewayHarness.run(configure: {
            $0.server.maxConnections = 4
            $0.server.keepAliveIdleTimeoutSeconds = 30
        }) { gateway in
            let port = try #require(gateway.client.port)
            // Six more than the harness's own connection, against a cap of four: some must be refused.
            let opened = try (0..<6).map { _ in try RawHTTPConnection(port: port) }
            var refused = Set<Int>()
            let deadline = ContinuousClock.now + .seconds(5)
            while refused.count < 2 && ContinuousClock.now < deadline {
                for (index, connection) in opened.enumerated() where !refused.contains(index) {
                    if await connection.closed(within: .milliseconds(20)) != nil { refused.insert(index) }
                }
            }
            #expect(refused.count >= 2, "connections past the cap were not refused")
            let held = opened.enumerated().filter { !refused.contains($0.offset) }.map(\.element)
            #expect(held.count <= 4)
            for connection in held { connection.hangUp() }
            // Places come back when connections close.
            let freed = ContinuousClock.now + .seconds(5)
            var metrics = ""
            while !metrics.hasPrefix("HTTP/1.1 200") && ContinuousClock.now < freed {
                metrics = try await Metrics.text(gateway, fresh: true)
            }
            #expect(metrics.hasPrefix("HTTP/1.1 200"), "no connection accepted after places were freed")
            #expect(Metrics.value(metrics, "tollgate_connections_rejected_total") >= 1)
            #expect(Metrics.value(metrics, "tollgate_connections_open") >= 1)
        }
    }
}

/// Reads `/metrics` (which needs no key).
enum Metrics {
    static func text(_ gateway: GatewayHarness, fresh: Bool = false) async throws -> String {
        if fresh {
            // A new connection of our own: the harness's may be closed by a deadline or refused by a cap.
            let connection = try RawHTTPConnection(port: try #require(gateway.client.port))
            try connection.write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return await connection.closed(within: .seconds(5)) ?? ""
        }
        return try await gateway.get("/metrics", key: "").text
    }

    /// `fresh`: over a new connection (the harness's may have been closed by a short idle deadline).
    static func value(_ gateway: GatewayHarness, fresh: Bool = false, _ series: String) async throws -> Double {
        value(try await text(gateway, fresh: fresh), series)
    }

    /// The value of the exposition line for `series` (name and labels as written), 0 when absent.
    static func value(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    /// The lines of the family `name` (its series), comments excluded.
    static func series(_ text: String, _ name: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }
}
