import ArgumentParser
import Foundation
import Gateway
import Logging

/// `tollgate bench-usage`: how many usage records per second the pipeline sustains into PostgreSQL.
///
/// Journals `--records` synthetic records into a throw-away journal, then times the recorder draining them
/// into the configured database (`DATABASE_URL`) in batches of `usage.batch_size`. `bench/run.sh` runs it.
struct BenchUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-usage",
        abstract: "Measure the usage pipeline: journal N synthetic records, then drain them into PostgreSQL.",
        shouldDisplay: false
    )

    @Option(help: "Synthetic usage records to journal and write.")
    var records = 200_000

    @Option(help: "Records per batch (default: usage.batch_size).")
    var batchSize: Int?

    @Option(help: "Batches written at once (default: usage.write_concurrency).")
    var writeConcurrency: Int?

    func run() async throws {
        var config = loadConfigOrExit()
        if let batchSize { config.usage.batchSize = batchSize }
        if let writeConcurrency { config.usage.writeConcurrency = writeConcurrency }
        GatewayLogging.bootstrap(format: config.log.format, level: "warning")
        let logger = Logger(label: "tollgate")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-bench-journal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await UsageBenchmark.run(
            config: config, count: records, journalDirectory: directory, migrationsDirectory: migrationsOrExit(), logger: logger
        )
        print(
            String(
                format: "usage pipeline: %d records journaled in %.2f s (%.0f records/s, %.1f MiB of journal); "
                    + "drained into PostgreSQL in %.2f s: %.0f records/s sustained (batches of %d, %d at once; "
                    + "gateway CPU %.1f µs per record)",
                result.records, result.journalSeconds, result.journalRecordsPerSecond, Double(result.journalBytes) / 1_048_576,
                result.drainSeconds, result.drainRecordsPerSecond, result.batchSize, config.usage.writeConcurrency,
                result.drainCPUMicrosPerRecord
            )
        )
    }
}
