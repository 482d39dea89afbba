import Dialects
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import Postgres
import ServiceLifecycle
import Synchronization
import Locking

/// Writes usage records to PostgreSQL behind the request path, in batches, through a local journal.
///
/// ``record(_:)`` appends the record to the ``UsageJournal`` — one `write(2)`; when it returns, the record
/// survives the process being killed — and then queues it in memory. The service's loop flushes every
/// `flush_interval_ms`: one transaction per batch (``UsageSQL/write(_:to:)``, up to `write_concurrency` at
/// once) inserts the `request_log` rows and adds exactly the rows it inserted into `usage_daily` and the
/// spend columns, so a record written twice is counted once. A committed batch is released from the journal,
/// which deletes a segment once all its records are released.
///
/// When PostgreSQL is down, records pile up in the journal and the loop retries with backoff until it
/// returns; nothing needs a restart. The journal is bounded (`journal_max_bytes`): past it, new model
/// requests are refused (``checkAcceptsNewRequests()``) or served on, as configured — usage is never dropped.
/// On graceful shutdown the queue is drained while PostgreSQL lets it; what is left stays in the journal.
///
/// Memory is bounded too: at most `memoryLimit` records are held. Past that, records go to the journal only
/// ("spilled") and the flush loop reads them back from the segment files as the queue drains, never on the
/// request path. Records an earlier process left in the journal (a crash, an outage at shutdown) are read
/// back the same way — the first `memoryLimit` of them before the gateway serves — and written again;
/// PostgreSQL skips the request ids it already has. They are not settled against Redis again (their
/// reservations there expire by TTL).
final class UsageRecorder: Sendable {
    /// Records held in memory at most (≈ 1 KB each); the rest wait in the journal.
    static let defaultMemoryLimit = 100_000

    /// The answer to new model requests while the journal is full under `journal_full_policy: refuse`.
    static let journalFullError = DialectError(
        .overloaded, "Usage cannot be recorded right now (the usage journal is full); try again later.", code: "usage_journal_full"
    )

    let journal: UsageJournal
    private let pool: PostgresPool
    private let batchSize: Int
    /// Batches written at the same time.
    private let writers: Int
    private let flushInterval: Duration
    private let fsyncInterval: Duration?
    /// `journal_fsync: always`: group commit, one sync for every record appended before it.
    private let syncer: UsageJournalSyncer?
    private let memoryLimit: Int
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let backlog: UsageBacklog
    private let state: Locked<State>
    /// Mirrors `state.bounds.refusesNewRequests`, so the check every request makes takes no lock.
    private let refusing = Atomic<Bool>(false)
    /// Journal segments below this number were written by an earlier process: their records are replays.
    private let firstOwnSegment: UInt64
    /// Settles a record's limit charges (release the slot, real tokens and cost); set once at assembly.
    private let settle: (@Sendable (AdmissionTicket, UsageRecord) -> Void)?
    /// A requested model's `model` metric label: its known name (the model catalog's), nil for `other`.
    private let modelLabel: @Sendable (String) -> String?

    private struct State {
        var queue = CircularBuffer<Entry>()
        /// Journaled records from here on are not in `queue` (nil: every unreleased journaled record is).
        var spilledFrom: UsageJournal.Position?
        var bounds: UsageJournalBounds
        /// Records in `queue` that could not be journaled (the write failed): lost if the process dies.
        var unjournaled = 0
        /// A read of spilled records from the journal is under way (at most one is).
        var reading = false
        /// Records taken out of `queue` by batches being written; they count against the memory limit.
        var inFlight = 0
    }

    private struct Entry {
        var record: UsageRecord
        /// The journal segment holding the record (nil: not journaled).
        var segment: UInt64?
        var queuedAt: ContinuousClock.Instant
    }

    /// Opens the journal at `config.journalDir` and queues what an earlier process left in it.
    /// - Parameters:
    ///   - backlog: told about every record until PostgreSQL has it (admission adds it to budget seeds).
    ///   - memoryLimit: records held in memory at most.
    init(
        pool: PostgresPool, config: GatewayConfig.Usage, metrics: GatewayMetrics, logger: Logger, backlog: UsageBacklog = UsageBacklog(),
        memoryLimit: Int = UsageRecorder.defaultMemoryLimit, settle: (@Sendable (AdmissionTicket, UsageRecord) -> Void)? = nil,
        modelLabel: @escaping @Sendable (String) -> String? = { _ in nil }
    ) throws {
        let journal = try UsageJournal(
            directory: config.journalDir, segmentBytes: config.journalSegmentBytes, fsync: config.journalFsync, logger: logger
        )
        self.journal = journal
        self.settle = settle
        self.modelLabel = modelLabel
        self.pool = pool
        self.metrics = metrics
        self.backlog = backlog
        self.batchSize = config.batchSize
        self.writers = max(1, config.writeConcurrency)
        self.flushInterval = .milliseconds(config.flushIntervalMs)
        self.fsyncInterval = config.journalFsync == .interval ? .milliseconds(config.journalFsyncIntervalMs) : nil
        self.syncer = config.journalFsync == .always ? UsageJournalSyncer(sync: { journal.sync() }) : nil
        self.memoryLimit = max(1, memoryLimit)
        self.logger = logger
        self.firstOwnSegment = journal.end.segment
        let bounds = UsageJournalBounds(warnBytes: config.journalWarnBytes, maxBytes: config.journalMaxBytes, policy: config.journalFullPolicy)
        self.state = Locked(State(spilledFrom: journal.recovery.first, bounds: bounds))
        let recovery = journal.recovery
        if recovery.damagedBytes > 0 { metrics.usageJournalDamaged(bytes: recovery.damagedBytes) }
        if recovery.records > 0 {
            logger.notice(
                "usage journal: replaying records an earlier process left",
                metadata: ["records": "\(recovery.records)", "segments": "\(recovery.segments)", "dir": "\(config.journalDir)"]
            )
            try refillNow()
        }
        journalChanged(appended: false)
    }

    // MARK: The request path

    /// Settles `record`'s limit charges, counts it in the metrics, appends it to the journal and queues it for
    /// the next flush. Never waits for PostgreSQL; when it returns the record is in the kernel, and with
    /// `journal_fsync: always` on the disk too (or the sync failed or passed its deadline, which is logged).
    func record(_ record: UsageRecord) async {
        let journaled = append(record)
        guard journaled, let syncer else { return }
        if await !syncer.waitUntilSynced() {
            metrics.usageJournalSyncFailed()
            logger.error(
                "usage journal sync failed or took too long; the record is written but may not be on the disk",
                metadata: ["request_id": "\(record.requestID)", "timeout": "\(syncer.timeout)"]
            )
        }
    }

    /// Everything ``record(_:)`` does but wait for the disk; true when the record went into the journal.
    private func append(_ record: UsageRecord) -> Bool {
        if let ticket = record.admission { settle?(ticket, record) }
        metrics.requestFinished(record, model: (record.servedModel ?? record.requestedModel).flatMap(modelLabel) ?? GatewayMetrics.other)
        var record = record
        record.admission = nil
        let frame = UsageJournalFrame.encode(UsageRecordJSON.encode(record))
        backlog.add(CollectionOfOne(record))
        let failure: (any Error)? = state.withLock { state in
            var position: UsageJournal.Position?
            var failure: (any Error)?
            do { position = try journal.append(frame) } catch { failure = error }
            if position == nil {
                // Not journaled: memory is the only copy, so it is kept whatever the memory limit.
                state.queue.append(Entry(record: record, segment: nil, queuedAt: .now))
                state.unjournaled += 1
            } else if state.spilledFrom == nil {
                if state.queue.count + state.inFlight < memoryLimit {
                    state.queue.append(Entry(record: record, segment: position?.segment, queuedAt: .now))
                } else {
                    state.spilledFrom = position
                }
            }
            return failure
        }
        journalChanged(appended: failure == nil)
        if let failure {
            metrics.usageJournalWriteFailed()
            logger.error(
                "usage journal write failed; the record is kept in memory only", metadata: ["request_id": "\(record.requestID)", "error": "\(failure)"]
            )
            // A journal that cannot be written (disk full) counts as full: under `refuse`, new work waits
            // until the records that exist only in memory are in PostgreSQL (see `updateRefusal`).
            updateRefusal()
        }
        return failure == nil
    }

    /// `journal_fsync: always`: sync rounds run so far (0 in other modes).
    var journalSyncRounds: Int { syncer?.rounds ?? 0 }

    /// Whether new model requests may be served: false while the journal is over `journal_max_bytes` under
    /// `journal_full_policy: refuse`. One atomic load.
    var acceptsNewRequests: Bool { !refusing.load(ordering: .relaxed) }

    /// Throws the 503 `usage_journal_full` answer when ``acceptsNewRequests`` is false. Model routes call it
    /// right after authentication, before doing any work; a request refused here has no usage to record
    /// (it is counted in `tollgate_usage_journal_refusals_total`, not in `request_log`).
    func checkAcceptsNewRequests() throws {
        guard refusing.load(ordering: .relaxed) else { return }
        metrics.usageJournalRefused()
        var error = GatewayError(Self.journalFullError)
        error.headers[.retryAfter] = "10"
        throw error
    }

    // MARK: Writing to PostgreSQL

    /// Records held in memory: queued, or in a batch being written. At most the memory limit, besides records
    /// the journal could not take (memory is then their only copy).
    var recordsInMemory: Int { state.withLock { $0.queue.count + $0.inFlight } }

    /// Records not yet in PostgreSQL: queued in memory, or waiting in the journal.
    var pending: Int {
        let unjournaled = state.withLock { $0.unjournaled }
        return journal.outstanding + unjournaled
    }

    /// Writes everything pending now; returns false if PostgreSQL failed (the records stay pending) or the
    /// journal could not be read back.
    ///
    /// Up to `write_concurrency` batches are written at once, each its own transaction, and each writer takes
    /// the next batch as soon as its own is committed (no writer waits for the others, so PostgreSQL always has
    /// `write_concurrency` batches to work on). A batch that failed goes back to the front of the queue,
    /// whatever happened to the others, and no new batch starts in this flush; the next flush writes it again.
    /// Spilled records are read back from the journal while the queue's records are written.
    @discardableResult
    func flush() async -> Bool {
        defer { reportQueue() }
        return await withTaskGroup(of: FlushStep.self) { group in
            var writing = 0
            var failed = false
            var reads = true
            while true {
                if reads, let plan = refillPlan() { group.addTask { .read(await self.refill(plan)) } }
                while !failed, writing < writers, let batch = takeBatch() {
                    writing += 1
                    group.addTask { .wrote(await self.write(batch)) }
                }
                // Nil: no write or read is under way, and nothing was left to start.
                guard let step = await group.next() else { return !failed }
                switch step {
                case .wrote(let ok):
                    writing -= 1
                    if !ok { failed = true }
                case .read(let ok):
                    // A journal that cannot be read now is not retried in this flush (the next one tries again).
                    if !ok {
                        failed = true
                        reads = false
                    }
                }
            }
        }
    }

    /// What ended in ``flush()``: a batch written (or not), a read of the journal done (or failed).
    private enum FlushStep {
        case wrote(Bool)
        case read(Bool)
    }

    /// Takes the next batch out of the front of the queue (nil if it is empty); it is in flight until
    /// ``write(_:)`` releases it or puts it back.
    private func takeBatch() -> Batch? {
        state.withLock { state in
            let lengths = Self.batchLengths(
                payloadBytes: state.queue.lazy.map(\.record.payloadBytes), batchSize: batchSize, batches: 1
            )
            guard let length = lengths.first else { return nil }
            // Moved out of the queue one by one: no copy of the records.
            var batch = Batch()
            batch.records.reserveCapacity(length)
            batch.places.reserveCapacity(length)
            for _ in 0..<length {
                let entry = state.queue.removeFirst()
                batch.places.append((entry.segment, entry.queuedAt))
                batch.records.append(entry.record)
            }
            state.inFlight += length
            return batch
        }
    }

    /// Records taken out of the queue to be written together, with where each came from.
    private struct Batch {
        var records: [UsageRecord] = []
        /// Per record: its ``Entry``'s segment and queuing time, to put it back if the write fails.
        var places: [(segment: UInt64?, queuedAt: ContinuousClock.Instant)] = []
    }

    /// Payload bytes in one batch at most, besides `batch_size`: with `payload_logging: full` a record can
    /// carry twice `payload_max_bytes`, and the batch is built in memory before it is sent.
    static let batchPayloadBytes = 8 << 20

    /// How many records go in each of up to `batches` batches, taken in order from records whose payloads
    /// have these sizes: `batchSize` each at most, and no more than ``batchPayloadBytes`` of payload unless a
    /// single record has more (it then goes alone).
    static func batchLengths(payloadBytes: some Sequence<Int>, batchSize: Int, batches: Int) -> [Int] {
        var lengths: [Int] = []
        var length = 0
        var bytes = 0
        for size in payloadBytes {
            if length == batchSize || (length > 0 && bytes + size > batchPayloadBytes) {
                lengths.append(length)
                guard lengths.count < batches else { return lengths }
                length = 0
                bytes = 0
            }
            length += 1
            bytes += size
        }
        if length > 0 { lengths.append(length) }
        return lengths
    }

    /// Writes one batch taken by ``takeBatch()``: released once PostgreSQL has it, put back at the front of the
    /// queue if not. Returns whether it was written.
    private func write(_ batch: Batch) async -> Bool {
        do {
            try await UsageSQL.write(batch.records, to: pool)
        } catch {
            let entries = zip(batch.records, batch.places).map { Entry(record: $0, segment: $1.segment, queuedAt: $1.queuedAt) }
            state.withLock { state in
                state.queue.insert(contentsOf: entries, at: state.queue.startIndex)
                state.inFlight -= entries.count
            }
            metrics.postgresFailed()
            logger.warning("usage write failed; will retry", metadata: ["error": "\(String(reflecting: error))", "pending": "\(pending)"])
            return false
        }
        release(batch)
        return true
    }

    /// `batch` is in PostgreSQL: take it out of the journal and the backlog.
    private func release(_ batch: Batch) {
        var released: [UInt64: Int] = [:]
        var unjournaled = 0
        for place in batch.places {
            if let segment = place.segment { released[segment, default: 0] += 1 } else { unjournaled += 1 }
        }
        let wasUnjournaled = state.withLock { state in
            let before = state.unjournaled
            state.unjournaled -= unjournaled
            state.inFlight -= batch.records.count
            return before > 0
        }
        backlog.remove(batch.records)
        journal.release(released)
        journalChanged(appended: false)
        if wasUnjournaled { updateRefusal() }
        metrics.usageWritten(batch.records.count)
    }

    // MARK: Reading the journal back

    /// Reads spilled (or replayed) records back into the queue (``refillPlan()`` says which), decoding them
    /// on a blocking-I/O thread. Off the request path. Returns false if the journal could not be read.
    private func refill(_ plan: RefillPlan) async -> Bool {
        let journal = self.journal
        do {
            try await NIOThreadPool.singleton.runIfActive {
                let (records, next) = try journal.read(from: plan.from, to: plan.to, maxRecords: plan.room)
                self.queueRead(records, next: next)
            }
            return true
        } catch {
            state.withLock { $0.reading = false }
            logger.error("usage journal cannot be read back; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// ``refill()`` in the calling thread, for start-up: the first records are queued before serving.
    private func refillNow() throws {
        guard let plan = refillPlan() else { return }
        do {
            let (records, next) = try journal.read(from: plan.from, to: plan.to, maxRecords: plan.room)
            queueRead(records, next: next)
        } catch {
            state.withLock { $0.reading = false }
            throw error
        }
    }

    private typealias RefillPlan = (from: UsageJournal.Position, to: UsageJournal.Position, room: Int)

    /// What to read back, once the records held (queued or in flight) are half the memory limit and no read is
    /// under way; the read is then under way until ``queueRead(_:next:)`` (or a failure) ends it.
    private func refillPlan() -> RefillPlan? {
        state.withLock { state in
            let held = state.queue.count + state.inFlight
            guard let from = state.spilledFrom, !state.reading, held <= memoryLimit / 2 else { return nil }
            state.reading = true
            return (from, journal.end, memoryLimit - held)
        }
    }

    private func queueRead(_ read: [(segment: UInt64, payload: [UInt8])], next: UsageJournal.Position) {
        let decoder = UsageRecordJSON.decoder()
        var entries: [Entry] = []
        var undecodable: [UInt64: Int] = [:]
        let now = ContinuousClock.now
        for (segment, payload) in read {
            do {
                let record = try UsageRecord.fromJournalJSON(payload) ?? decoder.decode(UsageRecord.self, from: Data(payload))
                entries.append(Entry(record: record, segment: segment, queuedAt: now))
            } catch {
                // A checksummed frame that does not decode was written by something else; it cannot be replayed.
                logger.error(
                    "usage journal: a record cannot be decoded and is dropped",
                    metadata: ["segment": "\(segment)", "error": "\(error)", "payload": "\(String(decoding: payload.prefix(300), as: UTF8.self))"]
                )
                undecodable[segment, default: 0] += 1
            }
        }
        let replays = entries.filter { $0.segment.map { $0 < firstOwnSegment } ?? false }
        // Records of this process were added to the backlog when recorded; replays join it now.
        backlog.add(replays.lazy.map(\.record))
        if !replays.isEmpty { metrics.usageReplayed(replays.count) }
        state.withLock { state in
            state.queue.append(contentsOf: entries)
            state.spilledFrom = next == journal.end ? nil : next
            state.reading = false
        }
        if !undecodable.isEmpty { journal.release(undecodable) }
    }

    // MARK: Bounds and metrics

    /// Whether new model requests are refused: under `journal_full_policy: refuse`, while the journal is
    /// over its bound or while some record exists only in memory because the journal could not be written.
    private func updateRefusal() {
        let refuses = state.withLock { state in
            state.bounds.refusesNewRequests || (state.bounds.policy == .refuse && state.unjournaled > 0)
        }
        refusing.store(refuses, ordering: .relaxed)
    }

    /// The journal grew or shrank: move the gauges, and log threshold crossings (once each).
    private func journalChanged(appended: Bool) {
        let bytes = journal.bytes
        let events = state.withLock { state in state.bounds.update(bytes: bytes, appended: appended) }
        metrics.usageJournal(bytes: bytes)
        guard !events.isEmpty else { return }
        updateRefusal()
        for event in events { report(event) }
    }

    private func report(_ event: UsageJournalBounds.Event) {
        let (warn, max, policy) = state.withLock { ($0.bounds.warnBytes, $0.bounds.maxBytes, $0.bounds.policy) }
        switch event {
        case .overWarning(let bytes):
            metrics.usageJournalOverWarning(true)
            logger.warning(
                "usage journal over its warning size; PostgreSQL is not keeping up or unreachable",
                metadata: ["bytes": "\(bytes)", "journal_warn_bytes": "\(warn)", "journal_max_bytes": "\(max)"]
            )
        case .underWarning(let bytes):
            metrics.usageJournalOverWarning(false)
            logger.info("usage journal back under its warning size", metadata: ["bytes": "\(bytes)", "journal_warn_bytes": "\(warn)"])
        case .full(let bytes):
            metrics.usageJournalFull(true)
            let consequence =
                policy == .refuse
                ? "new model requests are refused with 503 usage_journal_full until it drains"
                : "serving on past the bound (journal_full_policy: serve); usage is still journaled"
            logger.error("usage journal full; \(consequence)", metadata: ["bytes": "\(bytes)", "journal_max_bytes": "\(max)"])
        case .notFull(let bytes):
            metrics.usageJournalFull(false)
            logger.notice("usage journal back under its bound; new requests are served", metadata: ["bytes": "\(bytes)", "journal_max_bytes": "\(max)"])
        case .stillFull(let bytes, let appends):
            logger.error(
                "usage journal still over its bound; serving on (journal_full_policy: serve)",
                metadata: ["bytes": "\(bytes)", "journal_max_bytes": "\(max)", "records_past_bound": "\(appends)"]
            )
        }
    }

    private func reportQueue() {
        let oldest = state.withLock { $0.queue.first?.queuedAt }
        metrics.usageQueue(depth: pending, oldest: oldest)
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

    /// `journal_fsync: interval`: forces the journal to the disk every interval, on a blocking-I/O thread.
    private func syncPeriodically(every interval: Duration) async {
        let journal = self.journal
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
            _ = try? await NIOThreadPool.singleton.runIfActive { journal.sync() }
        }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            if let fsyncInterval { group.addTask { await self.syncPeriodically(every: fsyncInterval) } }
            await flushPeriodically()
        }
        // Shutting down: the server has stopped taking requests; write what is left. A fresh task, so a
        // cancelled shutdown (grace period over) still gets its records written.
        await Task {
            for _ in 0..<5 where await !self.flush() {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }.value
        let unjournaled = state.withLock { $0.unjournaled }
        let left = pending
        syncer?.close()
        journal.close()
        if unjournaled > 0 {
            logger.error("usage records lost at shutdown: PostgreSQL and the journal both failed them", metadata: ["count": "\(unjournaled)"])
        }
        if left > unjournaled {
            logger.warning(
                "usage records not written at shutdown; they stay in the journal and are written after the next start",
                metadata: ["count": "\(left - unjournaled)", "dir": "\(journal.directory)"]
            )
        }
    }
}
