import Foundation
import Hummingbird
import NIOCore
import Postgres
import Redis

/// `GET /health/live` (the process is up) and `GET /health/ready` (PostgreSQL, Redis and Ollama answer, and
/// the usage journal can be written).
///
/// Readiness reports each dependency and answers 503 unless all are up, so a load balancer can hold
/// traffic back from an instance that cannot serve it.
struct HealthRoutes: Sendable {
    let pool: PostgresPool
    let redis: RedisClient
    let ollama: OllamaClient
    let metrics: GatewayMetrics
    /// The usage journal: an instance that cannot journal usage refuses model requests, so it is not ready.
    let journal: UsageJournal

    func live(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        Self.json(.ok, ["status": "ok"])
    }

    func ready(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        async let postgres = checkPostgres()
        async let redis = self.redis.ping()
        async let ollama = self.ollama.isReachable()
        let checks = ["postgres": await postgres, "redis": await redis, "ollama": await ollama]
        if checks["postgres"] == false { metrics.postgresFailed() }
        if checks["redis"] == false { metrics.redisFailed() }
        let allUp = checks.values.allSatisfy { $0 }
        var body = checks.mapValues { $0 ? "up" : "down" }
        let journalProblem = journal.writeProblem()
        body["usage_journal"] = journalProblem == nil ? "up" : "down"
        if let journalProblem { body["usage_journal_error"] = journalProblem }
        let ready = allUp && journalProblem == nil
        body["status"] = ready ? "ready" : "not_ready"
        return Self.json(ready ? .ok : .serviceUnavailable, body)
    }

    private func checkPostgres() async -> Bool {
        (try? await pool.query("SELECT 1")) != nil
    }

    private static func json(_ status: HTTPResponse.Status, _ body: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
