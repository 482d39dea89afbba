import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

/// Every blocking PostgreSQL call has a deadline, and a PostgreSQL restart costs no request.
@Suite("PostgreSQL deadlines", .timeLimit(.minutes(3)))
struct PostgresDeadlineTests {
    static func pool(maxConnections: Int = 1, statementTimeout: Duration? = nil, leaseTimeout: Duration = .seconds(5)) async throws -> PostgresPool {
        let url = try await TestServices.freshDatabase()
        return PostgresPool(
            configuration: .init(url: url, maxConnections: maxConnections, statementTimeout: statementTimeout, leaseTimeout: leaseTimeout),
            logger: TestServices.logger
        )
    }

    @Test("statement_timeout cancels a statement that runs too long; the connection stays usable")
    func statementTimeout() async throws {
        let pool = try await Self.pool(statementTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        await #expect {
            try await pool.query("SELECT pg_sleep(10)")
        } throws: { error in
            (error as? PostgresError)?.isCancelled == true
        }
        let elapsed = started.duration(to: .now)
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(2), "cancelled after \(elapsed)")
        #expect(try await pool.query("SELECT 1 AS one").value(0, "one") == "1")
    }

    @Test("Cancelling the awaiting task cancels the statement on the server promptly; the connection is reused")
    func taskCancellation() async throws {
        let pool = try await Self.pool()
        let backend = try await pool.query("SELECT pg_backend_pid() AS pid").value(0, "pid")
        let sleeper = Task { try await pool.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        sleeper.cancel()
        let result = await sleeper.result
        let elapsed = cancelled.duration(to: .now)
        // Promptly: the statement would run 30 s; 2 s leaves room for a loaded 2-core machine.
        #expect(elapsed < .seconds(2), "the statement ended \(elapsed) after the cancel")
        guard case .failure(let error) = result else {
            Issue.record("pg_sleep(30) was not cancelled")
            return
        }
        #expect((error as? PostgresError)?.isCancelled == true || error is CancellationError, "\(error)")
        #expect(try await pool.query("SELECT pg_backend_pid() AS pid").value(0, "pid") == backend, "the same connection serves on")
    }

    @Test("With every connection busy past the lease timeout, a call fails fast with poolExhausted")
    func leaseTimeout() async throws {
        let pool = try await Self.pool(leaseTimeout: .milliseconds(200))
        let busy = Task { try await pool.query("SELECT pg_sleep(3)") }
        defer { busy.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        await #expect {
            try await pool.query("SELECT 1")
        } throws: { error in
            (error as? PostgresError)?.code == .poolExhausted
        }
        let elapsed = started.duration(to: .now)
        // Well before the busy connection frees (about 2.8 s from here); a loaded machine may add a second.
        #expect(elapsed >= .milliseconds(200) && elapsed < .milliseconds(2500), "failed after \(elapsed)")
    }

    /// Runs `body` with a PostgreSQL and Redis of its own, which it may stop and start; stops them after.
    static func withPrivateServices(_ body: (PrivateServices) async throws -> Void) async throws {
        let services = PrivateServices()
        do {
            try await services.start()
            try await body(services)
        } catch {
            Issue.record(error)
        }
        await services.stop()
    }

    @Test("After a PostgreSQL restart the first call on a pooled connection succeeds, admin calls included")
    func restart() async throws {
        try await Self.withPrivateServices { services in
            let pool = PostgresPool(configuration: .init(url: services.databaseURL, maxConnections: 1), logger: TestServices.logger)
            try await pool.query("CREATE TABLE t (n integer)")
            try await GatewayHarness.run(configure: { $0.database.url = services.databaseURL }) { gateway in
                #expect(try await gateway.post("/key/generate", json: "{}").status == .ok)
                try await services.stopPostgres()
                try await services.startPostgres()
                // Every pooled connection died with the old server; none has been used since.
                let generated = try await gateway.post("/key/generate", json: "{}")
                #expect(generated.status == .ok, "\(generated.text)")
                let info = try await gateway.get("/key/list")
                #expect(info.status == .ok, "\(info.text)")
                try await pool.query("INSERT INTO t VALUES (1)")
                #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "1", "the insert ran exactly once")
            }
        }
    }

    @Test("PostgreSQL down: an admin call is a 503 in the caller's shape, not a 500")
    func downIs503() async throws {
        try await Self.withPrivateServices { services in
            try await GatewayHarness.run(configure: { $0.database.url = services.databaseURL }) { gateway in
                try await services.stopPostgres()
                let response = try await gateway.post("/key/generate", json: "{}")
                #expect(response.status == .serviceUnavailable, "\(response.text)")
                #expect(response.openAIError?["code"] as? String == "database_unavailable")
                try await services.startPostgres()
            }
        }
    }
}
