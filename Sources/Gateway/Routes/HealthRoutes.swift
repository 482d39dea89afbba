import Foundation
import Hummingbird
import NIOCore
import Postgres
import Redis

/// `GET /health/live` (the process is up) and `GET /health/ready` (PostgreSQL, Redis and at least one
/// Ollama backend answer, and the usage journal can be written).
///
/// Readiness reports each dependency and answers 503 unless all are up, so a load balancer can hold
/// traffic back from an instance that cannot serve it. `ollama` is up while at least one backend's
/// circuit is not open; `backends` lists every configured backend with its state (from the fleet's
/// active and passive checks, so asking does not call Ollama).
struct HealthRoutes: Sendable {
    let pool: PostgresPool
    let redis: RedisClient
    let fleet: Fleet
    let metrics: GatewayMetrics
    /// The usage journal: an instance that cannot journal usage refuses model requests, so it is not ready.
    let journal: UsageJournal

    func live(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try Self.json(.ok, Liveness(status: "ok"))
    }

    func ready(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let checks = await dependencyChecks()
        let journalProblem = journal.writeProblem()
        let ready = checks.allSatisfy(\.up) && journalProblem == nil
        let body = Readiness(
            status: ready ? "ready" : "not_ready",
            dependencies: Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.up ? "up" : "down") }),
            usageJournal: journalProblem == nil ? "up" : "down", usageJournalError: journalProblem,
            backends: fleet.report().map { .init(name: $0.name, status: $0.status, inFlight: $0.inFlight, models: $0.models) }
        )
        return try Self.json(ready ? .ok : .serviceUnavailable, body)
    }

    /// Every dependency readiness waits for, checked concurrently; one more is one more entry here.
    private func dependencyChecks() async -> [(name: String, up: Bool)] {
        async let postgres = checkPostgres()
        async let redis = self.redis.ping()
        let checks: [(name: String, up: Bool)] = [("postgres", await postgres), ("redis", await redis), ("ollama", fleet.anyHealthy)]
        if !checks[0].up { metrics.postgresFailed() }
        if !checks[1].up { metrics.redisFailed() }
        return checks
    }

    private func checkPostgres() async -> Bool {
        (try? await pool.query("SELECT 1")) != nil
    }

    private static func json(_ status: HTTPResponse.Status, _ body: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(body)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `GET /health/live`'s answer.
    struct Liveness: Encodable {
        var status: String
    }

    /// `GET /health/ready`'s answer: `status`, one `up`/`down` field per dependency (`postgres`, `redis`,
    /// `ollama`), the usage journal's state (and its problem when down), and every backend.
    struct Readiness: Encodable {
        var status: String
        var dependencies: [String: String]
        var usageJournal: String
        var usageJournalError: String?
        var backends: [Backend]

        struct Backend: Encodable {
            var name: String
            var status: String
            var inFlight: Int
            /// How many models it lists.
            var models: Int

            enum CodingKeys: String, CodingKey { case name, status, inFlight = "in_flight", models }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(status, forKey: Key("status"))
            for (name, state) in dependencies { try c.encode(state, forKey: Key(name)) }
            try c.encode(usageJournal, forKey: Key("usage_journal"))
            try c.encodeIfPresent(usageJournalError, forKey: Key("usage_journal_error"))
            try c.encode(backends, forKey: Key("backends"))
        }
    }
}
