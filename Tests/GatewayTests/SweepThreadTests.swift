import Dispatch
import Foundation
import Locking
import Testing

@Suite("SweepThread")
struct SweepThreadTests {
    /// The deadline sweeps (queued Redis commands, journal-sync waits) must fire while Swift's cooperative
    /// pool is blocked: a sweeper task on the pool would not run at all here, and this test would time out.
    @Test("sweeps run on time while every thread of the cooperative pool is blocked, and stop when told")
    func runsWhilePoolIsBlocked() {
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let release = DispatchSemaphore(value: 0)
        let sweeps = Locked(0)
        // Occupy the other pool threads (the test itself blocks the one it runs on).
        for _ in 1..<max(width, 2) {
            Task.detached { release.wait() }
        }
        SweepThread.start(every: .milliseconds(20)) {
            let count = sweeps.withLock { count in
                count += 1
                return count
            }
            if count == 5 {
                for _ in 0..<max(width, 2) { release.signal() }
            }
            return count < 5
        }
        let released = release.wait(timeout: .now() + 10) == .success
        if !released {
            for _ in 0..<max(width, 2) { release.signal() }  // give the pool back before failing
        }
        #expect(released, "the sweep did not run while the pool was blocked")
        // It stopped after the fifth sweep returned false.
        Thread.sleep(forTimeInterval: 0.1)
        #expect(sweeps.withLock { $0 } == 5)
    }
}
