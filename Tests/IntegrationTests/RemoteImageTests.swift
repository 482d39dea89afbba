import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import Upstream

/// Remote image URLs end to end: a small image server on 127.0.0.1, the gateway's address policy, and what
/// reaches the fake Ollama.
@Suite("Remote images", .serialized)
struct RemoteImageTests {
    /// Bytes that are not valid UTF-8 or base64 text, so only an exact copy matches.
    static let image: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    static let maxBytes = 4096

    /// Serves `/cat.png` (the image), `/page` (HTML), `/big.png` (over the cap), `/hop` (a redirect to the
    /// metadata address) and `/relative` (a redirect to `/cat.png`); `body` gets its port.
    private func withImageServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("cat.png") { _, _ in Self.reply(Self.image, type: "image/png") }
        router.get("page") { _, _ in Self.reply(Array("<html></html>".utf8), type: "text/html") }
        router.get("big.png") { _, _ in Self.reply([UInt8](repeating: 1, count: Self.maxBytes + 1), type: "image/png") }
        router.get("hop") { _, _ in
            Response(status: .found, headers: [.location: "http://169.254.169.254/latest/meta-data/"])
        }
        router.get("slow.png") { _, _ in
            try await Task.sleep(for: .seconds(5))
            return Self.reply(Self.image, type: "image/png")
        }
        router.get("relative") { _, _ in Response(status: .found, headers: [.location: "/cat.png"]) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    private static func reply(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func chat(_ url: String) -> String {
        #"{"model":"llava","messages":[{"role":"user","content":[{"type":"text","text":"what is it"},{"type":"image_url","image_url":{"url":"\#(url)"}}]}]}"#
    }

    @Test("Loopback is refused by default: 400 naming the host only, and Ollama is not called")
    func refusedByDefault() async throws {
        try await withImageServer { port in
            try await GatewayHarness.run { gateway in
                let response = try await gateway.post("/v1/chat/completions", json: chat("http://127.0.0.1:\(port)/cat.png?token=s3cret"))
                #expect(response.status == .badRequest)
                let message = try #require(response.openAIError?["message"] as? String)
                #expect(message.contains("127.0.0.1") && message.contains("loopback"))
                #expect(!message.contains("s3cret") && !message.contains("cat.png"))
                #expect(response.openAIError?["type"] as? String == "invalid_request_error")
                #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)

                // A name is resolved (getaddrinfo) and judged by its addresses.
                let named = try await gateway.post("/v1/chat/completions", json: chat("http://localhost:\(port)/cat.png"))
                #expect(named.status == .badRequest)
                #expect((named.openAIError?["message"] as? String)?.contains("`localhost` cannot be fetched: it resolves to a loopback") == true)

                let anthropic = try await gateway.post(
                    "/v1/messages",
                    json: #"{"model":"llava","max_tokens":8,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"http://127.0.0.1:\#(port)/cat.png"}}]}]}"#
                )
                #expect(anthropic.status == .badRequest)
                #expect((anthropic.json?["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
                #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)
            }
        }
    }

    @Test("An allowed host's image reaches Ollama as the base64 of its exact bytes, in every chat dialect")
    func fetchedWhenAllowed() async throws {
        try await withImageServer { port in
            try await GatewayHarness.run(configure: { $0.images.allowHosts = ["127.0.0.1"]; $0.images.maxBytes = Self.maxBytes }) { gateway in
                let expected = Data(Self.image).base64EncodedString()
                let bodies = [
                    ("/v1/chat/completions", chat("http://127.0.0.1:\(port)/cat.png")),
                    ("/v1/chat/completions", chat("http://127.0.0.1:\(port)/relative")),
                    (
                        "/v1/messages",
                        #"{"model":"llava","max_tokens":8,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"http://127.0.0.1:\#(port)/cat.png"}}]}]}"#
                    ),
                    (
                        "/v1/responses",
                        #"{"model":"llava","store":false,"input":[{"role":"user","content":[{"type":"input_image","image_url":"http://127.0.0.1:\#(port)/cat.png"}]}]}"#
                    ),
                ]
                for (path, body) in bodies {
                    gateway.fake.clearRecordedRequests()
                    let response = try await gateway.post(path, json: body)
                    #expect(response.status == .ok, "\(path): \(response.text)")
                    let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject, "\(path)")
                    let message = try #require((sent["messages"] as? [[String: Any]])?.last)
                    #expect(message["images"] as? [String] == [expected], "\(path)")
                }
            }
        }
    }

    @Test("Refused even from an allowed host: a redirect to the metadata address, a non-image, an oversize body")
    func refusalsFromAnAllowedHost() async throws {
        try await withImageServer { port in
            try await GatewayHarness.run(configure: { $0.images.allowHosts = ["127.0.0.1"]; $0.images.maxBytes = Self.maxBytes }) { gateway in
                let cases = [("hop", "metadata"), ("page", "not an image"), ("big.png", "larger than \(Self.maxBytes)")]
                for (path, reason) in cases {
                    let response = try await gateway.post("/v1/chat/completions", json: chat("http://127.0.0.1:\(port)/\(path)"))
                    #expect(response.status == .badRequest, "\(path)")
                    let message = response.openAIError?["message"] as? String ?? ""
                    #expect(message.contains(reason), "\(path): \(message)")
                }
                #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)
            }
        }
    }

    @Test("A slow image server is cut off at images.fetch_timeout_ms; more than 16 image URLs are refused unfetched")
    func boundedFetching() async throws {
        try await withImageServer { port in
            try await GatewayHarness.run(configure: { $0.images.allowHosts = ["127.0.0.1"]; $0.images.fetchTimeoutMs = 300 }) { gateway in
                let start = ContinuousClock.now
                let slow = try await gateway.post("/v1/chat/completions", json: chat("http://127.0.0.1:\(port)/slow.png"))
                let elapsed = ContinuousClock.now - start
                #expect(slow.status == .badRequest)
                #expect((slow.openAIError?["message"] as? String)?.contains("took too long") == true)
                #expect(elapsed < .seconds(3), "\(elapsed)")

                let part = #"{"type":"image_url","image_url":{"url":"http://127.0.0.1:\#(port)/cat.png"}}"#
                let many = #"{"model":"llava","messages":[{"role":"user","content":[\#(Array(repeating: part, count: 17).joined(separator: ","))]}]}"#
                let refused = try await gateway.post("/v1/chat/completions", json: many)
                #expect(refused.status == .badRequest)
                #expect((refused.openAIError?["message"] as? String)?.contains("at most 16") == true)
                #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)
            }
        }
    }

    @Test("The curl engine connects to the pinned address, not a DNS answer, and reports a redirect without following it")
    func pinnedConnection() async throws {
        try await withImageServer { port in
            let engine = CurlEngine(logger: TestServices.logger)
            defer { engine.shutdown() }
            // `.invalid` never resolves: only the pin can make this reach the server.
            var request = UpstreamRequest(url: "http://images.tollgate.invalid:\(port)/cat.png", totalTimeout: .seconds(5))
            request.pinnedAddresses = ["images.tollgate.invalid:\(port):127.0.0.1"]
            request.allowedProtocols = "http,https"
            let response = try await engine.execute(request)
            #expect(response.status == 200 && response.contentType == "image/png")
            #expect(try await response.body.collect(upTo: 1 << 20) == Self.image)

            request.url = "http://images.tollgate.invalid:\(port)/relative"
            let redirect = try await engine.execute(request)
            #expect(redirect.status == 302)
            #expect(redirect.redirectURL == "http://images.tollgate.invalid:\(port)/cat.png")
            _ = try await redirect.body.collect(upTo: 1 << 20)

            request.url = "http://images.tollgate.invalid:\(port)/big.png"
            request.maxBodyBytes = Self.maxBytes
            await #expect(throws: UpstreamError.self) { _ = try await engine.execute(request).body.collect(upTo: 1 << 20) }
        }
    }

    @Test("images.fetch_remote: false refuses image URLs without fetching")
    func turnedOff() async throws {
        try await GatewayHarness.run(configure: { $0.images.fetchRemote = false }) { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: chat("https://example.com/cat.png"))
            #expect(response.status == .badRequest)
            #expect((response.openAIError?["message"] as? String)?.contains("turned off") == true)
        }
    }
}
