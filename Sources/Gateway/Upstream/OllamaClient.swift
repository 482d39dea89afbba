import Dialects
import Foundation
import Upstream

/// Ollama's native API over the shared curl engine.
struct OllamaClient: Sendable {
    let engine: CurlEngine
    let baseURL: String
    let connectTimeout: Duration
    let firstByteTimeout: Duration

    init(engine: CurlEngine, config: GatewayConfig.Ollama) {
        self.engine = engine
        self.baseURL = config.baseURL.hasSuffix("/") ? String(config.baseURL.dropLast()) : config.baseURL
        self.connectTimeout = .milliseconds(config.connectTimeoutMs)
        self.firstByteTimeout = .seconds(config.firstByteTimeoutSeconds)
    }

    /// Starts `POST /api/chat`; the response streams NDJSON when `request.stream` is true.
    func chat(_ request: OllamaChatRequest) async throws -> UpstreamResponse {
        return try await engine.execute(
            UpstreamRequest(
                method: "POST",
                url: baseURL + "/api/chat",
                headers: [("Content-Type", "application/json")],
                body: request.json(),
                connectTimeout: connectTimeout,
                firstByteTimeout: firstByteTimeout
            )
        )
    }

    /// `GET /api/tags`: the models Ollama has.
    func tags() async throws -> OllamaTags {
        let bytes = try await get("/api/tags", timeout: .seconds(10))
        return try JSONDecoder().decode(OllamaTags.self, from: Data(bytes))
    }

    /// `GET /api/version`: true when Ollama answers.
    func isReachable() async -> Bool {
        (try? await get("/api/version", timeout: .seconds(2))) != nil
    }

    private func get(_ path: String, timeout: Duration) async throws -> [UInt8] {
        let response = try await engine.execute(
            UpstreamRequest(url: baseURL + path, connectTimeout: connectTimeout, firstByteTimeout: timeout)
        )
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        guard response.status == 200 else {
            throw UpstreamError(.transferFailed, message: "GET \(path) answered \(response.status)")
        }
        return bytes
    }
}
