import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// Deletes `request_log` rows and their payloads older than `usage.retention_days`, and stored Responses API
/// responses older than `responses.retention_days` (by default the same), in small batches.
///
/// Each statement deletes at most ``batchSize`` of the oldest rows (found through the
/// `(started_at, request_id)` index) and their `request_payloads`, and commits on its own; the pass
/// pauses ``pause`` between statements. So no statement holds locks for long, and the usage writer and the
/// admin API keep going while a large backlog is cleared.
///
/// `usage_daily` is never touched: the aggregates are small (a row per day × key × model × user) and are
/// what `/usage` and the daily-activity reports read, so totals and percentiles of old days survive the
/// log rows they were built from.
final class UsageRetention: Sendable {
    static let batchSize = 5000
    static let pause: Duration = .milliseconds(50)
    /// The first pass waits this long after start (or the interval, when shorter): migrations run first.
    static let firstPassDelay: Duration = .seconds(30)

    private let pool: PostgresPool
    private let days: Int
    /// `responses.retention_days` (stored Responses API state); by default the same as `days`.
    private let responsesDays: Int
    private let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date

    init(
        pool: PostgresPool, config: GatewayConfig.Usage, responsesDays: Int? = nil, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.pool = pool
        self.days = config.retentionDays
        self.responsesDays = responsesDays ?? config.retentionDays
        self.interval = .seconds(config.retentionIntervalSeconds)
        self.logger = logger
        self.now = now
    }

    /// Deletes everything older than the retention periods; returns the request_log rows deleted.
    @discardableResult
    func purge() async throws -> Int {
        if responsesDays > 0 {
            let cutoff = now().addingTimeInterval(-Double(responsesDays) * 86400)
            let gone = try await ResponsesStore.purge(pool: pool, olderThan: cutoff, batchSize: Self.batchSize, pause: Self.pause)
            if gone > 0 { logger.info("retention deleted stored responses", metadata: ["rows": "\(gone)", "retention_days": "\(responsesDays)"]) }
        }
        guard days > 0 else { return 0 }
        let cutoff = now().addingTimeInterval(-Double(days) * 86400)
        return try await Self.purge(pool: pool, olderThan: cutoff, batchSize: Self.batchSize, pause: Self.pause)
    }

    /// Deletes request_log rows (with their payloads), then stray payloads, started before `cutoff`,
    /// `batchSize` rows per statement. Returns the request_log rows deleted.
    static func purge(pool: PostgresPool, olderThan cutoff: Date, batchSize: Int, pause: Duration) async throws -> Int {
        let time = PostgresValue.text(UsageTime.postgres(micros: UsageTime.micros(cutoff)))
        var deleted = 0
        while true {
            let rows = try await pool.query(
                """
                WITH gone AS (
                    DELETE FROM request_log WHERE request_id IN (
                        SELECT request_id FROM request_log WHERE started_at < $1::timestamptz ORDER BY started_at LIMIT $2
                    )
                    RETURNING request_id
                ), payloads AS (
                    DELETE FROM request_payloads p USING gone WHERE p.request_id = gone.request_id RETURNING 1
                )
                SELECT count(*) AS n FROM gone
                """,
                [time, PostgresValue(batchSize)]
            )
            let count = Int(rows.value(0, "n") ?? "0") ?? 0
            deleted += count
            if count < batchSize { break }
            try await Task.sleep(for: pause)
        }
        // Payloads whose log row is gone some other way.
        while try await pool.query(
            """
            DELETE FROM request_payloads WHERE request_id IN (
                SELECT request_id FROM request_payloads WHERE started_at < $1::timestamptz ORDER BY started_at LIMIT $2
            )
            """,
            [time, PostgresValue(batchSize)]
        ).affectedRows >= batchSize {
            try await Task.sleep(for: pause)
        }
        return deleted
    }
}

extension UsageRetention: Service {
    /// Runs a pass shortly after start, then every `usage.retention_interval_s`, until shutdown. A failed
    /// pass (PostgreSQL down) is logged and retried at the next interval. When retention is off it only
    /// waits for shutdown: a service that returns early would stop the whole application.
    func run() async throws {
        guard days > 0 || responsesDays > 0 else {
            try? await gracefulShutdown()
            return
        }
        var wait = min(Self.firstPassDelay, interval)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: pause) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { break }
            wait = interval
            do {
                let deleted = try await purge()
                if deleted > 0 { logger.info("usage retention deleted old log rows", metadata: ["rows": "\(deleted)", "retention_days": "\(days)"]) }
            } catch {
                logger.warning("usage retention pass failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
