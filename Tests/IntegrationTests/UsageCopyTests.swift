import Foundation
import Postgres
import Testing
@testable import Gateway

/// Usage batches written through `COPY` and the staging table: replays count once, and a batch that fails
/// anywhere before its commit leaves nothing behind and is written whole on a later flush.
@Suite("Usage COPY batches", .serialized, .timeLimit(.minutes(2)))
struct UsageCopyTests {
    @Test("A batch mixing request ids already logged, new ones and one id twice adds each new request once: log, aggregates, spend, payloads")
    func duplicatesOfLoggedIDs() async throws {
        let (pool, _) = try await Self.database()
        let key = UUID().uuidString.lowercased()
        try await pool.query("INSERT INTO api_keys (id, key_hash, display) VALUES ($1::uuid, $2, 'sk-…test')", [.text(key), .text("hash-\(key)")])
        let records = Self.records(15, key: key, payloads: true)
        try await UsageSQL.write(Array(records[0..<10]), to: pool)
        // Ids 5…14, with 12 staged twice: 5…9 are logged already, 10…14 are new.
        try await UsageSQL.write(Array(records[5..<15]) + [records[12]], to: pool)
        try await UsageSQL.write(Array(records[0..<10]), to: pool)  // a whole replay: nothing new

        let log = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d, sum(cost_micros) AS s FROM request_log")
        let cost = records.reduce(0) { $0 + $1.costMicros }
        #expect(log.value(0, "c") == "15")
        #expect(log.value(0, "d") == "15")
        #expect(log.value(0, "s") == String(cost))
        let daily = try await pool.query("SELECT sum(requests) AS r, sum(cost_micros) AS c, sum(prompt_tokens) AS p FROM usage_daily")
        #expect(daily.value(0, "r") == "15")
        #expect(daily.value(0, "c") == String(cost))
        #expect(daily.value(0, "p") == String(15 * 10))
        let histogram = try await pool.query("SELECT duration_hist::text AS h FROM usage_daily")
        #expect(histogram.rows.reduce(0) { $0 + LatencyHistogram.parse($1[0]).reduce(0, +) } == 15)
        #expect(try await pool.query("SELECT spend_micros FROM api_keys").value(0, "spend_micros") == String(cost))
        let payloads = try await pool.query(
            "SELECT count(*) AS c, count(*) FILTER (WHERE request = $1 AND response = $2) AS exact FROM request_payloads",
            [.init(records[0].payload?.request), .init(records[0].payload?.response)]
        )
        #expect(payloads.value(0, "c") == "15")
        #expect(payloads.value(0, "exact") == "15", "the payload's tab and backslashes arrived as written")
        let model = try await pool.query("SELECT DISTINCT requested_model FROM request_log")
        #expect(model.rows == [[records[0].requestedModel]])
    }

    @Test("A COPY failing half-way (a value PostgreSQL refuses) writes nothing of the batch; every record stays pending")
    func copyFailsHalfWay() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = try UsageRecorder(pool: pool, config: Self.usage(directory, batchSize: 60), metrics: GatewayMetrics(), logger: TestServices.logger)
        defer { recorder.journal.close() }
        var records = Self.records(60, key: UUID().uuidString.lowercased())
        records[30].httpStatus = 5_000_000_000  // past request_log.http_status's integer range
        for record in records { await recorder.record(record) }
        #expect(await recorder.flush() == false)
        #expect(recorder.pending == 60)
        #expect(try await pool.query("SELECT count(*) AS c FROM request_log").value(0, "c") == "0")
        #expect(try await pool.query("SELECT count(*) AS c FROM usage_daily").value(0, "c") == "0")
        #expect(try await pool.query("SELECT count(*) AS c FROM request_payloads").value(0, "c") == "0")
    }

    @Test("A batch failing after its COPY (the fold times out on a lock) is rolled back whole and written once on the next flush")
    func foldFailsThenRetried() async throws {
        let (pool, directory) = try await Self.database(statementTimeout: .milliseconds(400))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = try UsageRecorder(pool: pool, config: Self.usage(directory, batchSize: 25), metrics: GatewayMetrics(), logger: TestServices.logger)
        defer { recorder.journal.close() }
        let records = Self.records(100, key: UUID().uuidString.lowercased(), payloads: true)
        for record in records { await recorder.record(record) }
        // Another session holds usage_daily so that the fold cannot update it (reads still pass).
        let holder = Task {
            try await pool.withConnection { connection in
                try connection.query("SELECT set_config('statement_timeout', '0', false)")
                defer { _ = try? connection.query("SELECT set_config('statement_timeout', '400ms', false)") }
                try connection.transaction { connection in
                    try connection.query("LOCK TABLE usage_daily IN EXCLUSIVE MODE")
                    // Long enough that every batch of the first flush meets the lock, however late a loaded
                    // machine starts it (each waits at most the 400 ms statement timeout).
                    try connection.query("SELECT pg_sleep(6)")
                }
            }
        }
        let lockDeadline = ContinuousClock.now + .seconds(10)
        while try await pool.query("SELECT 1 FROM pg_locks WHERE relation = 'usage_daily'::regclass AND granted AND mode = 'ExclusiveLock'").isEmpty {
            try #require(ContinuousClock.now < lockDeadline, "the lock was never taken")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(await recorder.flush() == false)
        #expect(recorder.pending == 100)
        #expect(try await pool.query("SELECT count(*) AS c FROM request_log").value(0, "c") == "0", "the staged batch was rolled back")
        try await holder.value

        #expect(await recorder.flush())
        #expect(recorder.pending == 0)
        let log = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d FROM request_log")
        #expect(log.value(0, "c") == "100")
        #expect(log.value(0, "d") == "100")
        let daily = try await pool.query("SELECT sum(requests) AS r, sum(cost_micros) AS c FROM usage_daily")
        #expect(daily.value(0, "r") == "100")
        #expect(daily.value(0, "c") == String(records.reduce(0) { $0 + $1.costMicros }))
        #expect(try await pool.query("SELECT count(*) AS c FROM request_payloads").value(0, "c") == "100")
    }

    @Test("Two batches at once, the first failing: the second is released, the first stays queued and is written once later")
    func concurrentBatchesOneFails() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var usage = Self.usage(directory, batchSize: 30)
        usage.writeConcurrency = 2
        usage.journalSegmentBytes = 4096
        let recorder = try UsageRecorder(pool: pool, config: usage, metrics: GatewayMetrics(), logger: TestServices.logger)
        defer { recorder.journal.close() }
        let records = Self.records(60, key: UUID().uuidString.lowercased(), payloads: true)
        for record in records { await recorder.record(record) }
        // PostgreSQL refuses one record of the first batch, until the constraint goes.
        try await pool.query("ALTER TABLE request_log ADD CONSTRAINT refuse_one CHECK (request_id <> '\(records[10].requestID)')")
        #expect(await recorder.flush() == false)
        #expect(recorder.pending == 30)
        let firstTry = try await pool.query("SELECT request_id FROM request_log").rows.compactMap { $0[0] }
        #expect(Set(firstTry) == Set(records[30...].map(\.requestID)), "the second batch is in; nothing of the first")
        #expect(try await pool.query("SELECT sum(requests) AS r FROM usage_daily").value(0, "r") == "30")

        try await pool.query("ALTER TABLE request_log DROP CONSTRAINT refuse_one")
        #expect(await recorder.flush())
        #expect(recorder.pending == 0)
        #expect(recorder.journal.segmentNumbers.isEmpty, "every record was released from the journal")
        let log = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d, sum(cost_micros) AS s FROM request_log")
        #expect(log.value(0, "c") == "60")
        #expect(log.value(0, "d") == "60")
        let daily = try await pool.query("SELECT sum(requests) AS r, sum(cost_micros) AS c FROM usage_daily")
        #expect(daily.value(0, "r") == "60")
        #expect(daily.value(0, "c") == log.value(0, "s"))
        #expect(try await pool.query("SELECT count(*) AS c FROM request_payloads").value(0, "c") == "60")
    }

    @Test("A batch being written counts against the memory limit: records arriving meanwhile wait in the journal; all are written once")
    func batchInFlightCountsAgainstTheMemoryLimit() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var usage = Self.usage(directory, batchSize: 20)
        usage.writeConcurrency = 1
        let recorder = try UsageRecorder(pool: pool, config: usage, metrics: GatewayMetrics(), logger: TestServices.logger, memoryLimit: 30)
        defer { recorder.journal.close() }
        let records = Self.records(35, key: UUID().uuidString.lowercased())
        for record in records[..<30] { await recorder.record(record) }
        #expect(recorder.recordsInMemory == 30)
        // Another session holds the fold's lock for a while, so the first batch waits in its fold.
        let holder = Task {
            try await pool.withConnection { connection in
                try connection.transaction { connection in
                    try connection.query(UsageSQL.lockFold)
                    try connection.query("SELECT pg_sleep(5)")
                }
            }
        }
        try await Self.waitForAdvisoryLock(granted: true, pool: pool)
        let flushing = Task { await recorder.flush() }
        try await Self.waitForAdvisoryLock(granted: false, pool: pool)

        for record in records[30...] { await recorder.record(record) }
        #expect(recorder.recordsInMemory == 30, "20 in flight and 10 queued: the 5 new records are in the journal only")
        #expect(recorder.pending == 35)
        #expect(await flushing.value)
        try await holder.value
        #expect(recorder.pending == 0)
        #expect(recorder.recordsInMemory == 0)
        let log = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d FROM request_log")
        #expect(log.value(0, "c") == "35")
        #expect(log.value(0, "d") == "35")
        #expect(try await pool.query("SELECT sum(requests) AS r FROM usage_daily").value(0, "r") == "35")
    }

    /// Waits (10 s at most) until some session holds an advisory lock (`granted`) or waits for one.
    private static func waitForAdvisoryLock(granted: Bool, pool: PostgresPool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        let sql = "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND " + (granted ? "granted" : "NOT granted")
        while try await pool.query(sql).isEmpty {
            try #require(ContinuousClock.now < deadline, granted ? "the lock was never taken" : "no writer waited for the lock")
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A fresh migrated database and a journal directory for it.
    private static func database(statementTimeout: Duration? = nil) async throws -> (PostgresPool, String) {
        let pool = PostgresPool(
            configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 3, statementTimeout: statementTimeout),
            logger: TestServices.logger
        )
        try await Migrator(pool: pool, directory: TestServices.migrationsDirectory).migrate(logger: TestServices.logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-journal-\(UUID().uuidString)").path
        return (pool, directory)
    }

    private static func usage(_ directory: String, batchSize: Int) -> GatewayConfig.Usage {
        var usage = GatewayConfig.Usage()
        usage.journalDir = directory
        usage.batchSize = batchSize
        return usage
    }

    private static func records(_ count: Int, key: String, payloads: Bool = false) -> [UsageRecord] {
        let run = UUID().uuidString.prefix(8)
        return (0..<count).map { index in
            var record = UsageRecord(
                requestID: "req_\(run)_\(index)", keyID: key, dialect: "openai", endpoint: "/v1/chat/completions", stream: false,
                outcome: .ok, httpStatus: 200, startedAt: Date()
            )
            record.requestedModel = "gpt-4o-mini\twith\\odd\nname"
            record.promptTokens = 10
            record.completionTokens = index
            record.costMicros = Int64(7 + index)
            record.durationMs = Double(10 + index)
            if payloads {
                record.payload = UsagePayload(mode: .full, request: #"{"q":"tab\there \\ back"}"#, response: "{\"a\":\"\\N\"}", truncated: false)
            }
            return record
        }
    }
}
