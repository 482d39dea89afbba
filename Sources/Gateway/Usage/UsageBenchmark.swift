public import Foundation
public import Logging
import Postgres

/// Measures the usage pipeline alone (`tollgate bench-usage`, run by `bench/run.sh`): how fast records are
/// journaled on the request path, and how many records per second the recorder sustains into PostgreSQL.
///
/// It records `count` synthetic records through a ``UsageRecorder`` whose flush loop is not running, as if
/// PostgreSQL had been down while they arrived (past the memory limit they are in the journal only), then
/// times draining all of them: batches of `usage.batch_size` (`usage.write_concurrency` at once), journal read
/// back as it goes.
public enum UsageBenchmark {
    public struct Result: Sendable {
        public var records: Int
        public var batchSize: Int
        /// Seconds to journal and queue every record (the request path's share).
        public var journalSeconds: Double
        /// Seconds until every record was committed to PostgreSQL.
        public var drainSeconds: Double
        /// CPU seconds the gateway's process spent (all threads) while draining; PostgreSQL's own are not in it.
        public var drainCPUSeconds: Double
        /// Journal bytes at their peak.
        public var journalBytes: Int

        public var journalRecordsPerSecond: Double { Double(records) / journalSeconds }
        public var drainRecordsPerSecond: Double { Double(records) / drainSeconds }
        /// The gateway's CPU microseconds per record drained: unlike the rates, machine load barely moves it.
        public var drainCPUMicrosPerRecord: Double { drainCPUSeconds * 1e6 / Double(records) }
    }

    /// Runs the measurement against `config.database.url` (migrated first), with a fresh journal in
    /// `journalDirectory`. The rows it writes have key ids of no real key.
    public static func run(
        config: GatewayConfig, count: Int, journalDirectory: String, migrationsDirectory: URL, logger: Logger
    ) async throws -> Result {
        let pool = PostgresPool(configuration: .init(url: config.database.url, maxConnections: max(2, config.usage.writeConcurrency)), logger: logger)
        try await Migrator(pool: pool, directory: migrationsDirectory).migrate(logger: logger)
        var usage = config.usage
        usage.journalDir = journalDirectory
        usage.journalMaxBytes = Int.max / 2
        usage.journalWarnBytes = Int.max / 2
        let recorder = try UsageRecorder(pool: pool, config: usage, metrics: GatewayMetrics(), logger: logger)
        defer { recorder.journal.close() }

        let run = UUID().uuidString.prefix(8).lowercased()
        let keys = (0..<8).map { _ in UUID().uuidString.lowercased() }
        let started = Date()
        let clock = ContinuousClock()
        let journalTime = await clock.measure {
            for index in 0..<count {
                var record = UsageRecord(
                    requestID: "req_bench_\(run)_\(index)", keyID: keys[index % keys.count], userID: nil, dialect: "openai",
                    endpoint: "/v1/chat/completions", stream: index % 2 == 0, outcome: .ok, httpStatus: 200,
                    startedAt: started.addingTimeInterval(Double(index) / 1000)
                )
                record.requestedModel = "gpt-4o-mini"
                record.servedModel = "llama3.2:latest"
                record.backend = "http://127.0.0.1:11434"
                record.promptTokens = 20 + index % 50
                record.completionTokens = 100 + index % 200
                record.costMicros = Int64(record.promptTokens * 3 + record.completionTokens * 6)
                record.ttftMs = 40
                record.durationMs = 120
                record.upstreamMs = 110
                record.ollamaTotalNs = 110_000_000
                record.ollamaEvalNs = 90_000_000
                await recorder.record(record)
            }
        }
        let journalBytes = recorder.journal.bytes
        let cpuBefore = processCPUSeconds()
        let drainTime = try await clock.measure {
            guard await recorder.flush() else { throw UsageJournalError("PostgreSQL refused the usage batches; see the log") }
        }
        let drainCPU = processCPUSeconds() - cpuBefore
        guard recorder.pending == 0 else { throw UsageJournalError("\(recorder.pending) records were left after the drain") }
        return Result(
            records: count, batchSize: usage.batchSize, journalSeconds: journalTime.seconds, drainSeconds: drainTime.seconds,
            drainCPUSeconds: drainCPU, journalBytes: journalBytes
        )
    }

    /// CPU time of the whole process (every thread), in seconds.
    private static func processCPUSeconds() -> Double {
        Double(clock()) / Double(CLOCKS_PER_SEC)
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
