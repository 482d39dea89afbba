import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Writes usage records to PostgreSQL behind the request path, in batches.
///
/// ``record(_:)`` only appends to an in-memory queue. The service's loop flushes every
/// `flush_interval_ms`: one statement per batch inserts the `request_log` rows and adds exactly the rows
/// it inserted into `usage_daily`, so a record replayed with the same request id is never counted twice.
/// When PostgreSQL is down the records stay queued and are retried; on graceful shutdown the queue is
/// drained before the pool closes.
final class UsageRecorder: Sendable {
    /// Records kept in memory at most while PostgreSQL is unreachable.
    static let maxQueued = 200_000

    private let pool: PostgresPool
    private let batchSize: Int
    private let flushInterval: Duration
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let queue = Mutex(Queue())
    /// Settles a record's limit charges (release the slot, real tokens and cost); set once at assembly.
    private let settle: (@Sendable (AdmissionTicket, UsageRecord) -> Void)?

    private struct Queue {
        var records: [UsageRecord] = []
        /// When each queued record was queued, in the same order (for the write-lag metric).
        var queuedAt: [ContinuousClock.Instant] = []
    }

    init(
        pool: PostgresPool, config: GatewayConfig.Usage, metrics: GatewayMetrics, logger: Logger,
        settle: (@Sendable (AdmissionTicket, UsageRecord) -> Void)? = nil
    ) {
        self.settle = settle
        self.pool = pool
        self.metrics = metrics
        self.batchSize = config.batchSize
        self.flushInterval = .milliseconds(config.flushIntervalMs)
        self.logger = logger
    }

    /// Settles `record`'s limit charges, counts it in the metrics and queues it for the next flush. Never waits.
    func record(_ record: UsageRecord) {
        if let ticket = record.admission { settle?(ticket, record) }
        metrics.requestFinished(record)
        let accepted = queue.withLock { queue in
            guard queue.records.count < Self.maxQueued else { return false }
            queue.records.append(record)
            queue.queuedAt.append(.now)
            return true
        }
        if !accepted {
            logger.error("usage queue full; record dropped", metadata: ["request_id": "\(record.requestID)"])
        }
    }

    /// Records waiting to be written.
    var pending: Int { queue.withLock { $0.records.count } }

    /// Writes everything queued now; returns false if PostgreSQL failed (the records stay queued).
    @discardableResult
    func flush() async -> Bool {
        defer { reportQueue() }
        while true {
            let batch: [UsageRecord] = queue.withLock { queue in Array(queue.records.prefix(batchSize)) }
            guard !batch.isEmpty else { return true }
            do {
                try await write(batch)
                queue.withLock { queue in
                    queue.records.removeFirst(batch.count)
                    queue.queuedAt.removeFirst(batch.count)
                }
                metrics.usageWritten(batch.count)
            } catch {
                metrics.postgresFailed()
                logger.warning("usage write failed; will retry", metadata: ["error": "\(String(reflecting: error))", "pending": "\(pending)"])
                return false
            }
        }
    }

    private func reportQueue() {
        let (depth, oldest) = queue.withLock { ($0.records.count, $0.queuedAt.first) }
        metrics.usageQueue(depth: depth, oldest: oldest)
    }

    private func write(_ batch: [UsageRecord]) async throws {
        let (sql, parameters) = UsageSQL.insert(batch)
        try await pool.query(sql, parameters)
    }
}

extension UsageRecorder: Service {
    /// Flushes every interval until graceful shutdown, backing off up to 5 s while PostgreSQL fails.
    /// Shutdown interrupts the wait between flushes, never a write in progress.
    private func flushPeriodically() async {
        var backoff = flushInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let wait = backoff
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: wait) }
            backoff = await flush() ? flushInterval : min(backoff * 2, .seconds(5))
        }
    }

    func run() async throws {
        await flushPeriodically()
        // Shutting down: the server has stopped taking requests; write what is left. A fresh task, so a
        // cancelled shutdown (grace period over) still gets its records written.
        await Task {
            for _ in 0..<5 where await !self.flush() {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }.value
        if pending > 0 { logger.error("usage records not written at shutdown", metadata: ["count": "\(pending)"]) }
    }
}
