import Foundation
import Locking
import Testing
@testable import Gateway

/// Group commit for `journal_fsync: always`, against a sync function the test controls.
@Suite("Usage journal group commit")
struct UsageJournalSyncerTests {
    /// A stand-in journal: appends are numbered, and a sync covers every append made before it began.
    private final class FakeDisk: Sendable {
        private struct State {
            var appended = 0
            var synced = 0
            var syncs = 0
        }
        private let state = Locked(State())
        let syncTime: UInt32
        /// The first sync waits (up to 10 s) until this many appends were made, so the requests that
        /// arrive during it all queue for the next round however slowly a loaded machine starts them.
        let holdFirstSyncFor: Int

        init(syncMicroseconds: UInt32, holdFirstSyncFor: Int = 0) {
            syncTime = syncMicroseconds
            self.holdFirstSyncFor = holdFirstSyncFor
        }

        /// One append; returns its number.
        func append() -> Int { state.withLock { $0.appended += 1; return $0.appended } }

        func sync() -> Bool {
            if state.withLock({ $0.syncs == 0 }) {
                let deadline = ContinuousClock.now + .seconds(10)
                while state.withLock({ $0.appended < holdFirstSyncFor }) && ContinuousClock.now < deadline { usleep(1_000) }
            }
            let covered = state.withLock { $0.appended }
            usleep(syncTime)
            state.withLock {
                $0.synced = max($0.synced, covered)
                $0.syncs += 1
            }
            return true
        }

        var synced: Int { state.withLock { $0.synced } }
        var syncs: Int { state.withLock { $0.syncs } }
    }

    @Test("64 requests at once: each is resumed only once a sync that began after its append ended, and those that queue during a sync share the next")
    func oneSyncServesMany() async {
        let disk = FakeDisk(syncMicroseconds: 5_000, holdFirstSyncFor: 64)
        let syncer = UsageJournalSyncer(sync: { disk.sync() })
        defer { syncer.close() }
        let covered = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let number = disk.append()
                    let synced = await syncer.waitUntilSynced()
                    return synced && disk.synced >= number
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(covered.count == 64)
        #expect(covered.allSatisfy { $0 }, "a request was resumed before a sync covering its append")
        #expect(disk.syncs == syncer.rounds)
        // The first round serves the first request; the ones queued meanwhile share the next (a request
        // caught between its append and its wait may need one more).
        #expect(syncer.rounds <= 4, "\(syncer.rounds) syncs for 64 requests: no grouping")
    }

    @Test("a disk that stalls: the wait ends false at its deadline, and so does one queued behind it; the syncer recovers")
    func stalledSyncHitsTheDeadline() async throws {
        let release = DispatchSemaphore(value: 0)
        let stalls = Locked(true)
        let syncer = UsageJournalSyncer(timeout: .milliseconds(200)) {
            if stalls.withLock({ $0 }) { release.wait() }
            return true
        }
        defer { syncer.close() }
        let started = ContinuousClock.now
        async let first = syncer.waitUntilSynced()
        try await Task.sleep(for: .milliseconds(50))
        async let queued = syncer.waitUntilSynced()
        let (a, b) = await (first, queued)
        let waited = started.duration(to: .now)
        // The sync never returns until released below, so only the deadline can have ended these waits;
        // the bound only catches a hang (a machine loaded by the other suites resumes tasks late).
        #expect(!a && !b)
        #expect(waited >= .milliseconds(200))
        #expect(waited < .seconds(30), "the deadline did not end the waits")
        stalls.withLock { $0 = false }
        release.signal()
        #expect(await syncer.waitUntilSynced(), "once the disk answers again, waits succeed")
    }

    @Test("a failed sync reports false to every request it served")
    func failedSync() async {
        let syncer = UsageJournalSyncer(sync: { false })
        defer { syncer.close() }
        #expect(await syncer.waitUntilSynced() == false)
    }

    @Test("a closed syncer answers false at once")
    func closed() async {
        let syncer = UsageJournalSyncer(sync: { true })
        syncer.close()
        #expect(await syncer.waitUntilSynced() == false)
    }
}
