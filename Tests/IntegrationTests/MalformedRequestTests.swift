import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Request bodies whose HTTP framing is broken (RFC 9112 §6-7) are the client's error: 400, the
/// connection closed, and no usage row, whatever route they were sent to.
@Suite("Malformed request framing")
struct MalformedRequestTests {
    static let inputs: [(name: String, request: String)] = [
        ("unknown transfer coding", "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("chunk size not hex", "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        ("chunk size of 18 hex digits", "Transfer-Encoding: chunked\r\n\r\n" + String(repeating: "f", count: 18) + "\r\nhello\r\n0\r\n\r\n"),
    ]

    @Test("xchunked, chunk size zz, an 18-digit chunk size: 400 and no request_log row")
    func malformedFraming() async throws {
        try await GatewayHarness.run { gateway in
            let port = try #require(gateway.client.port)
            for input in Self.inputs {
                let connection = try RawHTTPConnection(port: port)
                try connection.write(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(GatewayHarness.masterKey)\r\n"
                        + "Content-Type: application/json\r\n" + input.request
                )
                let answer = try #require(await connection.closed(within: .seconds(5)), "\(input.name): the connection stayed open")
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(input.name): \(answer.prefix(200))")
            }
            // A well-formed request afterwards is logged: the pipeline is live, the malformed ones left nothing.
            let good = try await gateway.post("/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(good.status == .ok)
            _ = try await gateway.logRow(good.requestID)
            let rows = try await gateway.database.query("SELECT request_id FROM request_log")
            #expect(rows.count == 1, "malformed requests left usage rows")
            let metrics = try await gateway.get("/metrics", key: "").text
            #expect(!metrics.contains("tollgate_upstream_errors_total{"), "malformed requests were counted as upstream errors")
        }
    }
}
