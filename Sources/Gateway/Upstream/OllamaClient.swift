import Dialects
import Foundation
import Upstream

/// Ollama's native API over the shared curl engine.
struct OllamaClient: Sendable {
    let engine: CurlEngine
    let baseURL: String
    let connectTimeout: Duration
    let firstByteTimeout: Duration
    /// Bounds on model calls' silence mid-answer and on their whole length (nil: none).
    let idleTimeout: Duration?
    let totalTimeout: Duration?

    init(engine: CurlEngine, config: GatewayConfig.Ollama) {
        self.engine = engine
        self.baseURL = config.baseURL.hasSuffix("/") ? String(config.baseURL.dropLast()) : config.baseURL
        self.connectTimeout = .milliseconds(config.connectTimeoutMs)
        self.firstByteTimeout = .seconds(config.firstByteTimeoutSeconds)
        self.idleTimeout = config.streamIdleTimeoutSeconds > 0 ? .seconds(config.streamIdleTimeoutSeconds) : nil
        self.totalTimeout = config.requestTimeoutSeconds > 0 ? .seconds(config.requestTimeoutSeconds) : nil
    }

    /// Starts `POST <path>` with a JSON body; the answer streams in as Ollama sends it.
    func post(_ path: String, body: [UInt8]) async throws -> UpstreamResponse {
        try await engine.execute(
            UpstreamRequest(
                method: "POST",
                url: baseURL + path,
                headers: [("Content-Type", "application/json")],
                body: body,
                connectTimeout: connectTimeout,
                firstByteTimeout: firstByteTimeout,
                idleTimeout: idleTimeout,
                totalTimeout: totalTimeout
            )
        )
    }

    /// Starts `GET <path>` (a listing: tags, running models, version).
    func get(_ path: String) async throws -> UpstreamResponse {
        try await engine.execute(UpstreamRequest(url: baseURL + path, connectTimeout: connectTimeout, firstByteTimeout: .seconds(30)))
    }

    /// `GET /api/tags`: the models Ollama has.
    func tags() async throws -> OllamaTags {
        let bytes = try await get("/api/tags", timeout: .seconds(10))
        return try JSONDecoder().decode(OllamaTags.self, from: Data(bytes))
    }

    /// `POST /api/show`: one model's details (capabilities, context length, …).
    func show(_ model: String) async throws -> JSON {
        let response = try await post("/api/show", body: JSON.object([JSONMember("model", .string(model))]).bytes)
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard response.status == 200 else {
            throw UpstreamError(.transferFailed, message: "POST /api/show answered \(response.status)")
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw UpstreamError(.transferFailed, message: "POST /api/show answered invalid JSON: \(error)")
        }
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
