import Foundation
import Postgres
import Testing

/// The libpq pool and the migrator against a real PostgreSQL.
@Suite("PostgreSQL")
struct PostgresTests {
    @Test("Bound parameters round-trip any text, including quotes and SQL")
    func boundParameters() async throws {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 2), logger: TestServices.logger)
        let nasty = "'); DROP TABLE x; -- ü 😀 \\ \" \n"
        let rows = try await pool.query("SELECT $1::text AS value, $2::bigint AS n, $3::text IS NULL AS missing", [.text(nasty), 42, nil])
        #expect(rows.value(0, "value") == nasty)
        #expect(rows.value(0, "n") == "42")
        #expect(rows.value(0, "missing") == "t")
    }

    @Test("Timestamps are bound with microseconds in UTC, and PostgreSQL reads back the same instant")
    func timestamps() async throws {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 1), logger: TestServices.logger)
        // The epoch, an instant before it, a leap day, the last microsecond of a year, now.
        let micros: [Int64] = [0, -1, 951_782_400_000_001, 1_704_067_199_999_999, Int64(Date().timeIntervalSince1970 * 1_000_000)]
        for value in micros {
            let date = Date(timeIntervalSince1970: Double(value) / 1_000_000)
            let rows = try await pool.query(
                "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint AS micros", [PostgresValue(date)]
            )
            #expect(Int64(rows.value(0, "micros") ?? "") == Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), "\(value)")
        }
        #expect(PostgresValue(Date(timeIntervalSince1970: 951_782_400.000_001)) == .text("2000-02-29 00:00:00.000001+00"))
        #expect(PostgresValue(Date(timeIntervalSince1970: -0.000_001)) == .text("1969-12-31 23:59:59.999999+00"))
    }

    @Test("More concurrent queries than connections all complete, each on a pool thread")
    func concurrency() async throws {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 3), logger: TestServices.logger)
        try await pool.query("CREATE TABLE hits (n integer)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<60 {
                group.addTask { try await pool.query("INSERT INTO hits VALUES ($1)", [PostgresValue(n)]) }
            }
            try await group.waitForAll()
        }
        let rows = try await pool.query("SELECT count(*) AS c, count(DISTINCT n) AS d FROM hits")
        #expect(rows.value(0, "c") == "60")
        #expect(rows.value(0, "d") == "60")
        let backends = try await pool.query("SELECT count(*) AS c FROM pg_stat_activity WHERE datname = current_database()")
        #expect(Int(backends.value(0, "c") ?? "") ?? 99 <= 3)
    }

    @Test("A failed statement reports SQLSTATE, and the connection stays usable")
    func errors() async throws {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 1), logger: TestServices.logger)
        try await pool.query("CREATE TABLE t (id text PRIMARY KEY)")
        try await pool.query("INSERT INTO t VALUES ('a')")
        await #expect {
            try await pool.query("INSERT INTO t VALUES ('a')")
        } throws: { error in
            (error as? PostgresError)?.isUniqueViolation == true
        }
        #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "1")
    }

    @Test("A transaction rolls back when its body throws")
    func transactionRollback() async throws {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 1), logger: TestServices.logger)
        try await pool.query("CREATE TABLE t (n integer)")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await pool.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "0")
    }

    @Test("An unreachable server fails with connectionFailed and libpq's message")
    func unreachable() async throws {
        let pool = PostgresPool(configuration: .init(url: "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"), logger: TestServices.logger)
        await #expect {
            try await pool.query("SELECT 1")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .connectionFailed && !error.message.isEmpty
        }
    }

    @Test("Gateways migrating at once apply each file exactly once")
    func concurrentMigrations() async throws {
        let url = try await TestServices.freshDatabase()
        let files = try Migrator.load(directory: TestServices.migrationsDirectory)
        #expect(!files.isEmpty)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let pool = PostgresPool(configuration: .init(url: url, maxConnections: 1), logger: TestServices.logger)
                    return try await Migrator(pool: pool, directory: TestServices.migrationsDirectory).migrate(logger: TestServices.logger)
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied.sorted() == files.map(\.name).sorted())
        let pool = PostgresPool(configuration: .init(url: url, maxConnections: 1), logger: TestServices.logger)
        let recorded = try await pool.query("SELECT count(*) AS c FROM schema_migrations")
        #expect(recorded.value(0, "c") == String(files.count))
        #expect(try await Migrator(pool: pool, directory: TestServices.migrationsDirectory).migrate(logger: TestServices.logger).isEmpty)
    }
}
