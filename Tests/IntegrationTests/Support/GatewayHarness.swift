import Dialects
import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Postgres
import Testing

/// A running gateway for one test: its own database, a fake Ollama, and a live HTTP client.
struct GatewayHarness: Sendable {
    static let masterKey = "sk-test-master-0123456789abcdef"

    let client: any TestClientProtocol
    let fake: FakeOllama
    let database: PostgresPool
    let config: GatewayConfig

    /// Starts a fake Ollama and a gateway on a fresh database, runs `body`, then stops both.
    static func run(
        behavior: FakeOllamaBehavior = .init(),
        configure: (inout GatewayConfig) -> Void = { _ in },
        now: @escaping @Sendable () -> Date = { Date() },
        reloads: ConfigReloads = ConfigReloads(),
        _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        let fake = try await FakeOllama.start(behavior: behavior)
        let databaseURL = try await TestServices.freshDatabase()
        var config = GatewayConfig()
        config.server.host = "127.0.0.1"
        config.server.port = 0
        config.database.url = databaseURL
        config.redis.url = try TestServices.redisURL
        config.ollama.baseURL = fake.baseURL
        config.masterKey = masterKey
        config.usage.flushIntervalMs = 20
        // Each gateway owns its journal directory (it is locked); tests run side by side.
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-journal-\(UUID().uuidString)")
        config.usage.journalDir = journal.path
        defer { try? FileManager.default.removeItem(at: journal) }
        config.models = [
            .init(name: "gpt-4o-mini", ollamaModel: "llama3.2:latest", inputPricePerMillion: 1.5, outputPricePerMillion: 6),
            .init(name: "missing-alias", ollamaModel: "not-pulled:latest"),
        ]
        configure(&config)
        let finalConfig = config
        let database = PostgresPool(configuration: .init(url: databaseURL, maxConnections: 2), logger: TestServices.logger)
        let app = try GatewayApplication.build(
            config: config, migrationsDirectory: TestServices.migrationsDirectory, logger: TestServices.logger, now: now, reloads: reloads
        )
        do {
            try await app.test(.live) { client in
                try await body(GatewayHarness(client: client, fake: fake, database: database, config: finalConfig))
            }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    // MARK: Requests

    /// POSTs `json` to `path` with the master key (or `key`, or none when `key` is "").
    func post(_ path: String, json: String, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        let key = key ?? Self.masterKey
        if !key.isEmpty { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func get(_ path: String, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        let key = key ?? Self.masterKey
        if !key.isEmpty { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: .get, headers: headers)
    }

    // MARK: The usage log

    /// Waits (up to 5 s) until `request_log` has `count` rows, then returns them oldest first.
    func requestLog(count: Int) async throws -> [[String: String?]] {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let rows = try await database.query("SELECT * FROM request_log ORDER BY started_at")
            if rows.count >= count || ContinuousClock.now > deadline { return rows.dictionaries }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The single `request_log` row of `requestID`, waiting for it to be flushed.
    func logRow(_ requestID: String?) async throws -> [String: String?] {
        let id = try #require(requestID, "response has no x-tollgate-request-id")
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let rows = try await database.query("SELECT * FROM request_log WHERE request_id = $1", [.text(id)])
            if let row = rows.dictionaries.first { return row }
            if ContinuousClock.now > deadline { throw HarnessError.noLogRow(id) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    enum HarnessError: Error { case noLogRow(String) }
}

extension TestResponse {
    var requestID: String? { headers[HTTPField.Name("x-tollgate-request-id")!] }
    var text: String { String(buffer: body) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }

    /// The `error` object of an OpenAI-shaped error body.
    var openAIError: [String: Any]? { json?["error"] as? [String: Any] }

    /// The JSON payloads of `data:` events, `[DONE]` excluded.
    var sseEvents: [[String: Any]] {
        text.components(separatedBy: "\n\n").compactMap { event in
            guard event.hasPrefix("data: "), !event.hasPrefix("data: [DONE]") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8))) as? [String: Any]
        }
    }
}

extension Dictionary where Key == String, Value == String? {
    /// The column's value, nil for SQL NULL or a missing column.
    func column(_ name: String) -> String? { self[name] ?? nil }
}
