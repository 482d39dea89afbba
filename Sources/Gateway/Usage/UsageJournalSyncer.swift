import Foundation
import Locking

/// Group commit for `journal_fsync: always`: every request that appended a record waits until the record
/// is on the disk, and one `fdatasync` serves every request that appended before it began.
///
/// A request's append is one `write(2)` under the journal's lock, then ``waitUntilSynced()``. The syncer's
/// own thread (fsync blocks, so never on the cooperative pool) takes every waiter registered so far, syncs the
/// journal once, and resumes them all; those that register meanwhile wait for the next round. Under load a
/// round serves many requests, so the disk's sync latency bounds each request's wait, not the throughput.
///
/// Bounds: each request waits at most ``timeout`` (a stalled disk cannot hold answers without end; the wait
/// then reports `false` and the request ends anyway, its record written but not known to be synced). Waiters
/// are at most one per request in flight, so `server.max_connections` bounds them.
final class UsageJournalSyncer: @unchecked Sendable {
    /// How long a request waits for its record's sync at most.
    let timeout: Duration

    private struct Waiter {
        let id: UInt64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        /// Every wait not yet ended, by id: whoever removes a waiter from here resumes it, exactly once.
        var pending: [UInt64: Waiter] = [:]
        /// Waits registered since the last round began; the next round serves them.
        var queued: [UInt64] = []
        var nextID: UInt64 = 0
        var closed = false
        /// Rounds run so far (one `fdatasync` pass each); tests read it.
        var rounds = 0
    }

    // Invariant: `state` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var state = State()
    private let sync: @Sendable () -> Bool

    /// - Parameter sync: flushes everything appended so far to the disk; false when it failed.
    init(timeout: Duration = .seconds(5), sync: @escaping @Sendable () -> Bool) {
        self.timeout = timeout
        self.sync = sync
        let thread = Thread { [self] in run() }
        thread.name = "tollgate-journal-sync"
        thread.start()
        // While a sync is stuck on a stalled disk the thread cannot look at the waiters: this ends the
        // waits whose deadline passed, a few times per timeout, until the syncer closes. On a thread of its
        // own, so a busy cooperative pool cannot make those deadlines late.
        let sweep = min(max(timeout / 4, .milliseconds(10)), .milliseconds(250))
        SweepThread.start(every: sweep) { [self] in
            guard !isClosed else { return false }
            endExpiredWaits()
            return true
        }
    }

    /// Waits until everything appended before this call is on the disk. False when the sync failed, the
    /// wait passed ``timeout``, or the syncer is closed.
    func waitUntilSynced() async -> Bool {
        await withCheckedContinuation { continuation in
            condition.lock()
            guard !state.closed else {
                condition.unlock()
                continuation.resume(returning: false)
                return
            }
            state.nextID += 1
            state.pending[state.nextID] = Waiter(id: state.nextID, deadline: .now + timeout, continuation: continuation)
            state.queued.append(state.nextID)
            condition.signal()
            condition.unlock()
        }
    }

    /// Sync rounds run so far.
    var rounds: Int {
        condition.lock()
        defer { condition.unlock() }
        return state.rounds
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state.closed
    }

    /// Stops the thread after its round; waiting and later calls get `false`.
    func close() {
        condition.lock()
        state.closed = true
        let abandoned = state.pending.values
        state.pending = [:]
        state.queued = []
        condition.broadcast()
        condition.unlock()
        abandoned.forEach { $0.continuation.resume(returning: false) }
    }

    private func run() {
        while true {
            condition.lock()
            while state.queued.isEmpty && !state.closed { condition.wait() }
            if state.closed {
                condition.unlock()
                return
            }
            let round = state.queued
            state.queued = []
            state.rounds += 1
            condition.unlock()
            // Every waiter in the round appended before it registered, so this one pass covers them all.
            let synced = sync()
            condition.lock()
            let served = round.compactMap { state.pending.removeValue(forKey: $0) }
            condition.unlock()
            served.forEach { $0.continuation.resume(returning: synced) }
        }
    }

    /// Ends the waits whose deadline passed (their round is stuck in a sync, or waits behind one). A waiter
    /// ended here and still in a round is skipped when the round ends.
    private func endExpiredWaits() {
        let now = ContinuousClock.now
        condition.lock()
        let expired = state.pending.values.filter { $0.deadline <= now }
        for waiter in expired { state.pending[waiter.id] = nil }
        condition.unlock()
        expired.forEach { $0.continuation.resume(returning: false) }
    }
}
