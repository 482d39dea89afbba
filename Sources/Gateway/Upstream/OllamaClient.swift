import Dialects
import Foundation
import Upstream

/// One Ollama server's native API over the shared curl engine.
struct OllamaClient: Sendable {
    let engine: CurlEngine
    let baseURL: String
    /// Sent with every call (a proxy's authentication); never logged.
    let headers: [(name: String, value: String)]
    let connectTimeout: Duration
    let firstByteTimeout: Duration
    /// Bounds on model calls' silence mid-answer and on their whole length (nil: none).
    let idleTimeout: Duration?
    let totalTimeout: Duration?

    init(engine: CurlEngine, backend: GatewayConfig.Ollama.Backend, config: GatewayConfig.Ollama) {
        self.engine = engine
        self.baseURL = backend.url.hasSuffix("/") ? String(backend.url.dropLast()) : backend.url
        self.headers = backend.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
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
                headers: [("Content-Type", "application/json")] + headers,
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
        try await engine.execute(UpstreamRequest(url: baseURL + path, headers: headers, connectTimeout: connectTimeout, firstByteTimeout: .seconds(30)))
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

    /// The `models` array of `GET /api/tags` or `GET /api/ps`, within `timeout` (connecting included).
    func listing(_ path: String, timeout: Duration) async throws -> [JSON] {
        let bytes = try await get(path, timeout: timeout)
        guard let models = (try? JSONParser.parse(bytes))?["models"]?.array else {
            throw UpstreamError(.transferFailed, message: "GET \(path) answered no models array")
        }
        return models
    }

    /// `GET /api/version` within `timeout`: true when Ollama answers.
    func isReachable(timeout: Duration) async -> Bool {
        (try? await get("/api/version", timeout: timeout)) != nil
    }

    private func get(_ path: String, timeout: Duration) async throws -> [UInt8] {
        let response = try await engine.execute(
            UpstreamRequest(url: baseURL + path, headers: headers, connectTimeout: min(connectTimeout, timeout), firstByteTimeout: timeout)
        )
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        guard response.status == 200 else {
            throw UpstreamError(.transferFailed, message: "GET \(path) answered \(response.status)")
        }
        return bytes
    }
}
