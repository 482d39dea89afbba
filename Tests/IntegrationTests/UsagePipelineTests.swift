import FakeOllama
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Postgres
import Testing
@testable import Gateway

/// The durable usage pipeline against real PostgreSQL: the journal in front of the batch writer, its replay
/// after a crash, an outage of PostgreSQL under load, and the journal's bound.
@Suite("Usage pipeline", .serialized)
struct UsagePipelineTests {
    // MARK: The recorder and its journal

    @Test("Past the memory limit records wait in the journal only; every one reaches PostgreSQL exactly once")
    func spillsToTheJournal() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = try UsageRecorder(pool: pool, config: Self.usage(directory), metrics: GatewayMetrics(), logger: TestServices.logger, memoryLimit: 25)
        let records = Self.records(300)
        for record in records { await recorder.record(record) }
        #expect(recorder.pending == 300)
        #expect(recorder.journal.segmentNumbers.count > 10, "4 KiB segments rotate")
        #expect(await recorder.flush())
        #expect(recorder.pending == 0)
        #expect(recorder.journal.segmentNumbers.isEmpty, "committed segments are deleted")
        #expect(recorder.journal.bytes == 0)
        let rows = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d, sum(cost_micros) AS s FROM request_log")
        #expect(rows.value(0, "c") == "300")
        #expect(rows.value(0, "d") == "300")
        #expect(rows.value(0, "s") == String(records.reduce(0) { $0 + $1.costMicros }))
        recorder.journal.close()
    }

    @Test("journal_fsync: always: 300 records from 60 requests at once each wait for the disk, far fewer syncs serve them, all reach PostgreSQL once")
    func groupCommit() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = Self.usage(directory)
        config.journalFsync = .always
        let recorder = try UsageRecorder(pool: pool, config: config, metrics: GatewayMetrics(), logger: TestServices.logger)
        let records = Self.records(300)
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<60 {
                group.addTask {
                    for index in stride(from: lane, to: records.count, by: 60) { await recorder.record(records[index]) }
                }
            }
        }
        #expect(recorder.pending == 300)
        print("group commit: 300 records from 60 concurrent writers took \(recorder.journalSyncRounds) fdatasync rounds")
        #expect(recorder.journalSyncRounds > 0)
        #expect(recorder.journalSyncRounds < 300, "one sync per record: the syncs were not grouped")
        #expect(recorder.journal.segmentNumbers.count > 10, "4 KiB segments rotate; the closed ones are synced by the next round")
        #expect(await recorder.flush())
        let rows = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d FROM request_log")
        #expect(rows.value(0, "c") == "300")
        #expect(rows.value(0, "d") == "300")
        recorder.journal.close()
    }

    @Test("A journal that cannot be written (a full disk) refuses new work until the memory-only records are in PostgreSQL")
    func unwritableJournalRefuses() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = try UsageRecorder(pool: pool, config: Self.usage(directory), metrics: GatewayMetrics(), logger: TestServices.logger)
        #expect(recorder.acceptsNewRequests)
        recorder.journal.failAppendsForTesting(true)
        let records = Self.records(3)
        await recorder.record(records[0])
        #expect(!recorder.acceptsNewRequests, "a record that exists only in memory stops new work under `refuse`")
        #expect(throws: GatewayError.self) { try recorder.checkAcceptsNewRequests() }
        recorder.journal.failAppendsForTesting(false)
        #expect(await recorder.flush())
        #expect(recorder.acceptsNewRequests, "once PostgreSQL has it, work resumes")
        let rows = try await pool.query("SELECT count(*) AS c FROM request_log")
        #expect(rows.value(0, "c") == "1")
        recorder.journal.close()
    }

    @Test("A journal left by a crash is replayed on start; rows PostgreSQL already had are not counted twice; a torn tail is passed over")
    func replaysAfterACrash() async throws {
        let (pool, directory) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = Self.records(120)
        // The first process: PostgreSQL unreachable, so nothing gets written; then it dies.
        let unreachable = PostgresPool(configuration: .init(url: "postgresql://tollgate@127.0.0.1:1/none", maxConnections: 1), logger: TestServices.logger)
        let first = try UsageRecorder(pool: unreachable, config: Self.usage(directory), metrics: GatewayMetrics(), logger: TestServices.logger, memoryLimit: 50)
        for record in records { await first.record(record) }
        #expect(await first.flush() == false)
        #expect(first.pending == 120)
        first.journal.close()  // what the kernel does for a killed process: the lock goes, the files stay
        // It had committed a batch whose release never happened (killed in between).
        try await UsageSQL.write(Array(records.prefix(30)), to: pool)
        // And its last write was torn.
        let last = try #require(try UsageJournal.segmentNumbers(in: directory).last)
        let handle = try #require(FileHandle(forWritingAtPath: UsageJournal.path(directory, last)))
        handle.seekToEndOfFile()
        handle.write(Data(UsageJournalFrame.encode(Array(#"{"request_id":"torn"}"#.utf8)).prefix(20)))
        try handle.close()

        let metrics = GatewayMetrics()
        let second = try UsageRecorder(pool: pool, config: Self.usage(directory), metrics: metrics, logger: TestServices.logger, memoryLimit: 50)
        #expect(second.pending == 120)
        #expect(await second.flush())
        #expect(second.pending == 0)
        let rows = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d FROM request_log")
        #expect(rows.value(0, "c") == "120")
        #expect(rows.value(0, "d") == "120")
        let daily = try await pool.query("SELECT sum(requests) AS r, sum(cost_micros) AS c FROM usage_daily")
        #expect(daily.value(0, "r") == "120", "the 30 rows written before the crash were counted again")
        #expect(daily.value(0, "c") == String(records.reduce(0) { $0 + $1.costMicros }))
        #expect(try UsageJournal.segmentNumbers(in: directory).isEmpty)
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(metricValue(exposition, "tollgate_usage_journal_replayed_total") == 120)
        second.journal.close()
    }

    // MARK: A gateway killed under load

    @Test("SIGKILL under load: after a restart on the same journal, every request a client saw complete is logged exactly once")
    func killedUnderLoad() async throws {
        let fake = try await FakeOllama.start(behavior: .init(chunks: 8, chunkDelay: .milliseconds(20)))
        let database = try await TestServices.freshDatabase()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-kill9-\(UUID().uuidString)")
        // The first gateway writes to PostgreSQL only once a minute, so when it is killed its usage is in the
        // journal alone and the restart must replay all of it. (Records committed but not yet released when a
        // process dies are covered by `replaysAfterACrash`.)
        let slow = try Self.writeConfig(flushIntervalMs: 60_000)
        let normal = try Self.writeConfig(flushIntervalMs: 200)
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: slow)
            try? FileManager.default.removeItem(at: normal)
        }
        let first = try await GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: GatewayHarness.masterKey,
            logLevel: "info", dataDirectory: data, environment: ["TOLLGATE_CONFIG": slow.path]
        )
        let created = try await HTTP.shared.request(
            "POST", first.baseURL + "/key/generate", json: #"{"max_budget":1000,"rpm_limit":1000000,"max_parallel_requests":100}"#,
            key: GatewayHarness.masterKey
        )
        let key = try #require(HTTP.json(created.body)?["key"] as? String)

        let killed = Flag()
        let completed = Tally()
        async let load = ChatLoad.run(first.baseURL, key: key, workers: 16, completed: completed, until: { killed.isRaised })
        // Killed mid-load once enough answers are through (a loaded machine gets there later).
        let deadline = ContinuousClock.now + .seconds(40)  // well before the first gateway's first flush
        while completed.count < 100 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        await first.kill9()
        killed.raise()
        let outcomes = await load
        let complete = outcomes.filter(\.complete)
        #expect(complete.count >= 100, "the load generator barely ran: \(outcomes.count) answers")
        #expect(outcomes.contains { !$0.stream } && outcomes.contains { $0.stream })
        #expect(outcomes.allSatisfy { $0.status == 200 }, "\(outcomes.filter { $0.status != 200 }.map(\.body))")
        let completeIDs = Set(complete.compactMap(\.requestID))
        #expect(completeIDs.count == complete.count, "every answer carries its own request id")

        let second = try await GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: GatewayHarness.masterKey,
            logLevel: "info", dataDirectory: data, environment: ["TOLLGATE_CONFIG": normal.path]
        )
        defer { second.terminate() }
        let pool = PostgresPool(configuration: .init(url: database, maxConnections: 1), logger: TestServices.logger)
        let logged = try await Self.waitForRows(pool, containing: completeIDs, within: .seconds(30))
        #expect(completeIDs.subtracting(logged).isEmpty, "\(completeIDs.subtracting(logged).count) completed requests were lost")
        try await Task.sleep(for: .milliseconds(1500))  // anything else replayed lands too
        try await Self.expectCountedOnce(pool, requests: completeIDs)
        let metrics = try await HTTP.shared.request("GET", second.baseURL + "/metrics")
        let replayed = Int(metricValue(metrics.body, "tollgate_usage_journal_replayed_total") ?? 0)
        #expect(replayed >= completeIDs.count, "the restart replayed \(replayed) records; clients saw \(completeIDs.count) complete")
        let rows = try await pool.query("SELECT count(*) AS c FROM request_log").value(0, "c")
        #expect(rows == String(replayed), "every replayed record is one row")
        #expect(second.log.contains("replaying records an earlier process left"))
        await fake.stop()
    }

    // MARK: PostgreSQL down

    @Test("PostgreSQL stopped for 30 s under load: a cached key with limits is served throughout; all usage lands once it returns, no restart")
    func postgresOutage() async throws {
        let services = PrivateServices()
        try await services.start()
        let fake = try await FakeOllama.start(behavior: .init(chunks: 4, chunkDelay: .milliseconds(10)))
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-outage-\(UUID().uuidString)")
        let config = try Self.writeConfig(flushIntervalMs: 200)
        var gateway: GatewayProcess?
        do {
            let started = try await GatewayProcess.start(
                databaseURL: services.databaseURL, redisURL: services.redisURL, ollamaURL: fake.baseURL, masterKey: GatewayHarness.masterKey,
                logLevel: "info", dataDirectory: data, environment: ["TOLLGATE_CONFIG": config.path]
            )
            gateway = started
            try await Self.outage(gateway: started, services: services)
        } catch {
            Issue.record(error)
        }
        await gateway?.stop()
        await fake.stop()
        await services.stop()
        try? FileManager.default.removeItem(at: data)
        try? FileManager.default.removeItem(at: config)
    }

    private static func outage(gateway: GatewayProcess, services: PrivateServices) async throws {
        let created = try await HTTP.shared.request(
            "POST", gateway.baseURL + "/key/generate",
            json: #"{"rpm_limit":1000000,"tpm_limit":1000000000,"max_parallel_requests":50,"max_budget":1000,"budget_duration":"30d"}"#,
            key: GatewayHarness.masterKey
        )
        let key = try #require(HTTP.json(created.body)?["key"] as? String)
        // The gateway trusts its cache through the outage only once it listens for key changes (its
        // subscription starting empties the cache): wait for that before caching the key.
        #expect(await KeyChannel.waitForSubscribers(1, redisURL: services.redisURL, within: .seconds(10)))
        // Before the outage: the key gets cached and its limits seeded in Redis.
        let warmUp = try #require(await ChatLoad.chat(gateway.baseURL, key: key, stream: false))
        #expect(warmUp.complete)
        let pool = PostgresPool(configuration: .init(url: services.databaseURL, maxConnections: 1), logger: TestServices.logger)
        _ = try await waitForRows(pool, containing: [try #require(warmUp.requestID)], within: .seconds(10))

        try await services.stopPostgres()
        let outageEnds = ContinuousClock.now + .seconds(30)
        let outcomes = await ChatLoad.run(gateway.baseURL, key: key, workers: 4, until: { ContinuousClock.now >= outageEnds })
        let during = try await HTTP.shared.request("GET", gateway.baseURL + "/metrics")
        let stillDown = (try? await PostgresPool(configuration: .init(url: services.databaseURL, maxConnections: 1), logger: TestServices.logger)
            .query("SELECT 1")) == nil
        #expect(stillDown, "PostgreSQL was not down")
        #expect(outcomes.count > 20, "too few requests during the outage: \(outcomes.count)")
        let failed = outcomes.filter { !$0.complete }
        #expect(failed.isEmpty, "\(failed.count) of \(outcomes.count) requests failed during the outage: \(failed.prefix(3).map(\.body))")
        #expect((metricValue(during.body, "tollgate_usage_journal_bytes") ?? 0) > 0, "nothing waited in the journal")
        #expect((metricValue(during.body, "tollgate_postgres_errors_total") ?? 0) > 0)

        try await services.startPostgres()
        let ids = Set(outcomes.compactMap(\.requestID)).union([warmUp.requestID!])
        #expect(ids.count == outcomes.count + 1)
        let logged = try await waitForRows(pool, containing: ids, within: .seconds(60))
        #expect(ids.subtracting(logged).isEmpty, "\(ids.subtracting(logged).count) requests of the outage were never logged")
        try await expectCountedOnce(pool, requests: ids)
        // The journal drains to nothing, in the same process.
        let deadline = ContinuousClock.now + .seconds(10)
        var bytes = -1.0
        while ContinuousClock.now < deadline {
            bytes = metricValue(try await HTTP.shared.request("GET", gateway.baseURL + "/metrics").body, "tollgate_usage_journal_bytes") ?? -1
            if bytes == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(bytes == 0, "the journal did not drain")
        #expect(try await waitForExit(gateway) == nil, "the gateway restarted or died")
    }

    // MARK: The journal's bound

    @Test("Journal full with refuse: new model requests get 503 usage_journal_full in OpenAI's shape; what was accepted is all logged")
    func journalFullRefuses() async throws {
        let databaseURL = Captured("")
        let statuses = Captured<[Int]>([])
        try await GatewayHarness.run(configure: Self.tinyJournal(policy: .refuse)) { gateway in
            databaseURL.value = gateway.config.database.url
            var seen: [Int] = []
            var refusal: TestResponse?
            for _ in 0..<40 {
                let response = try await gateway.post("/v1/chat/completions", json: LimitsTests.body)
                seen.append(Int(response.status.code))
                if response.status.code == 503 {
                    refusal = response
                    break
                }
            }
            statuses.value = seen
            let refused = try #require(refusal, "never refused: \(seen)")
            #expect(refused.openAIError?["code"] as? String == "usage_journal_full")
            #expect(refused.openAIError?["type"] as? String != nil)
            #expect(refused.openAIError?["message"] as? String != nil)
            #expect(refused.headers[.retryAfter] == "10")
            #expect(refused.requestID != nil)
            // Still refused: the journal cannot drain (PostgreSQL is written only every 10 minutes here).
            #expect(try await gateway.chat(key: GatewayHarness.masterKey, model: "gpt-4o-mini").status.code == 503)
            let metrics = try await gateway.get("/metrics").text
            #expect(metricValue(metrics, "tollgate_usage_journal_full") == 1)
            #expect(metricValue(metrics, "tollgate_usage_journal_over_warning") == 1)
            #expect((metricValue(metrics, "tollgate_usage_journal_refusals_total") ?? 0) == 2)
            #expect((metricValue(metrics, "tollgate_usage_journal_bytes") ?? 0) >= 4096)
        }
        // Shut down: the accepted requests were written from the journal; the refused ones have no row.
        let accepted = statuses.value.filter { $0 == 200 }.count
        #expect(accepted >= 3 && statuses.value.last == 503, "\(statuses.value)")
        let pool = PostgresPool(configuration: .init(url: databaseURL.value, maxConnections: 1), logger: TestServices.logger)
        #expect(try await pool.query("SELECT count(*) AS c FROM request_log").value(0, "c") == String(accepted))
    }

    @Test("Journal full with serve: requests keep succeeding past the bound, the gauge says so, and all of them are logged")
    func journalFullServes() async throws {
        let databaseURL = Captured("")
        try await GatewayHarness.run(configure: Self.tinyJournal(policy: .serve)) { gateway in
            databaseURL.value = gateway.config.database.url
            for index in 0..<15 {
                let response = try await gateway.post("/v1/chat/completions", json: LimitsTests.body)
                #expect(response.status == .ok, "request \(index): \(response.text)")
            }
            let metrics = try await gateway.get("/metrics").text
            #expect(metricValue(metrics, "tollgate_usage_journal_full") == 1)
            #expect((metricValue(metrics, "tollgate_usage_journal_bytes") ?? 0) > 4096, "the journal did not grow past its bound")
            #expect((metricValue(metrics, "tollgate_usage_journal_refusals_total") ?? -1) == 0)
        }
        let pool = PostgresPool(configuration: .init(url: databaseURL.value, maxConnections: 1), logger: TestServices.logger)
        #expect(try await pool.query("SELECT count(*) AS c FROM request_log").value(0, "c") == "15")
    }

    // MARK: Helpers

    /// A 4 KiB journal whose records are written to PostgreSQL only at shutdown.
    private static func tinyJournal(policy: GatewayConfig.Usage.JournalFullPolicy) -> (inout GatewayConfig) -> Void {
        { config in
            config.usage.flushIntervalMs = 600_000
            config.usage.journalSegmentBytes = 4096
            config.usage.journalWarnBytes = 2048
            config.usage.journalMaxBytes = 4096
            config.usage.journalFullPolicy = policy
        }
    }

    /// A fresh migrated database and a journal directory for it.
    private static func database() async throws -> (PostgresPool, String) {
        let pool = PostgresPool(configuration: .init(url: try await TestServices.freshDatabase(), maxConnections: 2), logger: TestServices.logger)
        try await Migrator(pool: pool, directory: TestServices.migrationsDirectory).migrate(logger: TestServices.logger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-journal-\(UUID().uuidString)").path
        return (pool, directory)
    }

    private static func usage(_ directory: String) -> GatewayConfig.Usage {
        var usage = GatewayConfig.Usage()
        usage.journalDir = directory
        usage.journalSegmentBytes = 4096
        usage.batchSize = 40
        return usage
    }

    private static func records(_ count: Int) -> [UsageRecord] {
        let run = UUID().uuidString.prefix(8)
        let key = UUID().uuidString.lowercased()
        return (0..<count).map { index in
            var record = UsageRecord(
                requestID: "req_\(run)_\(index)", keyID: key, dialect: "openai", endpoint: "/v1/chat/completions", stream: index % 2 == 0,
                outcome: .ok, httpStatus: 200, startedAt: Date()
            )
            record.requestedModel = "gpt-4o-mini"
            record.promptTokens = 10
            record.completionTokens = index
            record.costMicros = Int64(7 + index)
            return record
        }
    }

    /// A config file for gateway processes: a priced model (so usage has a cost) and the flush interval.
    private static func writeConfig(flushIntervalMs: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-\(UUID().uuidString).yaml")
        let yaml = """
            models:
              - name: gpt-4o-mini
                ollama_model: llama3.2:latest
                input_price_per_1m: 150
                output_price_per_1m: 600
            usage:
              flush_interval_ms: \(flushIntervalMs)
            """
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Waits until `request_log` holds every id of `ids` (or `within` is over); returns the ids it holds.
    private static func waitForRows(_ pool: PostgresPool, containing ids: Set<String>, within: Duration) async throws -> Set<String> {
        let deadline = ContinuousClock.now + within
        while true {
            let logged = Set(((try? await pool.query("SELECT request_id FROM request_log"))?.dictionaries ?? []).compactMap { $0.column("request_id") })
            if ids.isSubset(of: logged) || ContinuousClock.now > deadline { return logged }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Each of `requests` has one row with status ok; no request id has two; the aggregates equal the log.
    private static func expectCountedOnce(_ pool: PostgresPool, requests: Set<String>) async throws {
        let log = try await pool.query("SELECT count(*) AS c, count(DISTINCT request_id) AS d, coalesce(sum(cost_micros), 0) AS s FROM request_log")
        #expect(log.value(0, "c") == log.value(0, "d"))
        let statuses = try await pool.query("SELECT request_id, status FROM request_log").dictionaries
        let notOK = statuses.filter { requests.contains($0.column("request_id") ?? "") && $0.column("status") != "ok" }
        #expect(notOK.isEmpty, "\(notOK.prefix(3))")
        let daily = try await pool.query("SELECT coalesce(sum(requests), 0) AS r, coalesce(sum(cost_micros), 0) AS c FROM usage_daily")
        #expect(daily.value(0, "r") == log.value(0, "c"), "usage_daily counts \(daily.value(0, "r") ?? "?") requests, the log \(log.value(0, "c") ?? "?")")
        #expect(daily.value(0, "c") == log.value(0, "s"))
        #expect((Int(log.value(0, "s") ?? "0") ?? 0) > 0, "the requests cost nothing; the spend check proves nothing")
        let spend = try await pool.query(
            """
            SELECT k.spend_micros AS spend, (SELECT coalesce(sum(cost_micros), 0) FROM request_log r WHERE r.key_id = k.id::text) AS logged
            FROM api_keys k
            """
        )
        for row in spend.dictionaries {
            #expect(row.column("spend") == row.column("logged"), "a key's spend is not the sum of its logged costs")
        }
    }

    /// nil while the process is still running (after a short look).
    private static func waitForExit(_ gateway: GatewayProcess) async throws -> Int32? {
        await gateway.waitForExit(timeout: .milliseconds(100))
    }
}
