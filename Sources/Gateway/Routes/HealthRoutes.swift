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
        Self.json(.ok, ["status": "ok"])
    }

    func ready(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let checks = await dependencyChecks()
        let journalProblem = journal.writeProblem()
        let ready = checks.allSatisfy(\.up) && journalProblem == nil
        var body: [String: Any] = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, ($0.up ? "up" : "down") as Any) })
        body["usage_journal"] = journalProblem == nil ? "up" : "down"
        if let journalProblem { body["usage_journal_error"] = journalProblem }
        body["backends"] = fleet.report().map { backend in
            ["name": backend.name, "status": backend.status, "in_flight": backend.inFlight, "models": backend.models] as [String: Any]
        }
        body["status"] = ready ? "ready" : "not_ready"
        return Self.json(ready ? .ok : .serviceUnavailable, body)
    }

    /// Every dependency readiness waits for, checked concurrently; one more is one more entry here.
    private func dependencyChecks() async -> [(name: String, up: Bool)] {
        async let postgres = checkPostgres()
        async let redis = self.redis.ping()
        let checks: [(name: String, up: Bool)] = [("postgres", await postgres), ("redis", await redis), ("ollama", fleet.anyUp)]
        if !checks[0].up { metrics.postgresFailed() }
        if !checks[1].up { metrics.redisFailed() }
        return checks
    }

    private func checkPostgres() async -> Bool {
        (try? await pool.query("SELECT 1")) != nil
    }

    private static func json(_ status: HTTPResponse.Status, _ body: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
