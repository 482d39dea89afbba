import Foundation
import Postgres
import Testing

/// `COPY … FROM STDIN` through ``PostgresConnection/copy(_:_:timeout:)`` against a real PostgreSQL.
@Suite("PostgreSQL COPY", .timeLimit(.minutes(2)))
struct PostgresCopyTests {
    private static func pool(maxConnections: Int = 1) async throws -> PostgresPool {
        PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: maxConnections), logger: TestServices.logger)
    }

    /// Text that looks like COPY's own syntax, control characters, and non-ASCII text.
    static let hostile: [String?] = [
        "tab\there", "new\nline", "carriage\rreturn", "back\\slash", #"\N"#, #"\."#, "\\", "\\\\t", "trailing\\",
        "\t\n\r", "", nil, "ü 😀 עברית 中文", "quote ' \" ; DROP TABLE t; --", "\u{7}\u{1b}[31m bell and escape", "end\n\\.\n",
    ]

    @Test("Hostile text round-trips exactly: tab, newline, CR, backslash, \\N and \\. literals, unicode, empty vs NULL")
    func hostileStringsRoundTrip() async throws {
        let pool = try await Self.pool()
        try await pool.query("CREATE TABLE t (n integer PRIMARY KEY, value text, flag boolean, at timestamptz, x double precision)")
        var rows = PostgresCopyRows()
        let at = Date(timeIntervalSince1970: 1_764_633_600.123456)
        for (n, value) in Self.hostile.enumerated() {
            rows.append(n)
            rows.append(value)
            rows.append(n % 2 == 0)
            rows.append(at)
            rows.append(n == 0 ? Double.infinity : Double(n) / 3)
            rows.endRow()
        }
        let copying = rows
        let copied = try await pool.withConnection { try $0.copy("COPY t (n, value, flag, at, x) FROM STDIN", copying) }
        #expect(copied == Self.hostile.count)
        let back = try await pool.query(
            "SELECT n, value, flag, extract(epoch FROM at)::text AS at, x::text AS x FROM t ORDER BY n"
        )
        #expect(back.count == Self.hostile.count)
        for (n, value) in Self.hostile.enumerated() {
            #expect(back.value(n, "value") == value, "row \(n)")
            #expect(back.value(n, "flag") == (n % 2 == 0 ? "t" : "f"))
            #expect(back.value(n, "at") == "1764633600.123456")
        }
        #expect(back.value(0, "x") == "Infinity")
        #expect(back.value(3, "x") == "1")
    }

    @Test("A row the server rejects half-way fails the COPY with its SQLSTATE; in a transaction no row is kept; the connection goes on")
    func failureHalfWay() async throws {
        let pool = try await Self.pool()
        try await pool.query("CREATE TABLE t (n integer PRIMARY KEY, small smallint)")
        var rows = PostgresCopyRows()
        for n in 0..<1000 {
            rows.append(n)
            rows.append(n == 600 ? 70_000 : n)  // out of smallint's range
            rows.endRow()
        }
        let failing = rows
        await #expect {
            try await pool.transaction { try $0.copy("COPY t (n, small) FROM STDIN", failing) }
        } throws: { error in
            let error = error as? PostgresError
            return error?.code == .queryFailed && error?.sqlState == "22003"
        }
        #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "0")
        // The same connection (the pool has one) copies the next batch.
        var good = PostgresCopyRows()
        good.append(1)
        good.append(1)
        good.endRow()
        let next = good
        #expect(try await pool.withConnection { try $0.copy("COPY t (n, small) FROM STDIN", next) } == 1)
        #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "1")
    }

    @Test("A statement that is not COPY FROM STDIN, or a COPY the server refuses, is an error and the connection stays usable")
    func wrongStatements() async throws {
        let pool = try await Self.pool()
        await #expect {
            try await pool.withConnection { try $0.copy("SELECT 1", PostgresCopyRows()) }
        } throws: { ($0 as? PostgresError)?.code == .badResult }
        await #expect {
            try await pool.withConnection { try $0.copy("COPY missing_table FROM STDIN", PostgresCopyRows()) }
        } throws: { ($0 as? PostgresError)?.sqlState == "42P01" }
        #expect(try await pool.query("SELECT 1 AS one").value(0, "one") == "1")
    }

    @Test("A COPY that cannot finish by its deadline fails promptly; its connection is replaced and the pool carries on")
    func deadline() async throws {
        let pool = try await Self.pool(maxConnections: 3)
        try await pool.query("CREATE TABLE t (n integer)")
        // Another session holds a lock that makes the COPY wait, until the test cancels it (a fixed hold
        // could end before a loaded machine starts the COPY).
        let holder = Task {
            try await pool.withConnection { connection in
                try connection.transaction { connection in
                    try connection.query("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
                    try connection.query("SELECT pg_sleep(60) AS holding_the_lock")
                }
            }
        }
        let lockDeadline = ContinuousClock.now + .seconds(10)
        while try await pool.query("SELECT 1 FROM pg_locks WHERE relation = 't'::regclass AND granted AND mode = 'AccessExclusiveLock'").isEmpty {
            #expect(ContinuousClock.now < lockDeadline, "the lock was never taken")
            if ContinuousClock.now > lockDeadline { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        var rows = PostgresCopyRows()
        rows.append(1)
        rows.endRow()
        let copying = rows
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { try $0.copy("COPY t (n) FROM STDIN", copying, timeout: .milliseconds(300)) }
        } throws: { error in
            (error as? PostgresError)?.code == .connectionFailed
        }
        let elapsed = started.duration(to: .now)
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(2), "gave up after \(elapsed)")
        try await pool.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60) AS holding_the_lock%'")
        _ = try? await holder.value
        #expect(try await pool.withConnection { try $0.copy("COPY t (n) FROM STDIN", copying) } == 1)
        #expect(try await pool.query("SELECT count(*) AS c FROM t").value(0, "c") == "1", "the abandoned COPY left no row")
    }
}
