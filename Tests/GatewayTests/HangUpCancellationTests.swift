import Foundation
import Testing

@testable import Gateway

@Suite("HangUpCancellation")
struct HangUpCancellationTests {
    @Test("a hang-up while the request is served cancels the serving task, even from another thread mid-wait")
    func cancelsWhileServing() async throws {
        let served = Task { () -> Bool in
            let hangUp = HangUpCancellation()
            // The close watcher's callback runs on an event loop thread: here, a plain thread.
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.05)
                hangUp.cancel()
            }
            defer { hangUp.disarm() }
            do {
                try await Task.sleep(for: .seconds(30))
                return false
            } catch {
                return error is CancellationError && Task.isCancelled
            }
        }
        #expect(await served.value)
    }

    @Test("a hang-up after the request left its task does nothing to it")
    func disarmedDoesNothing() async {
        let stillRunning = await Task { () -> Bool in
            let hangUp = HangUpCancellation()
            hangUp.disarm()
            hangUp.cancel()
            return !Task.isCancelled
        }.value
        #expect(stillRunning)
    }

    @Test("hang-ups racing the end of the request: either the task sees the cancellation or nothing does")
    func racesAreSafe() async {
        for _ in 0..<200 {
            let hangUp = await Task { () -> HangUpCancellation in
                let hangUp = HangUpCancellation()
                Thread.detachNewThread { hangUp.cancel() }
                hangUp.disarm()
                return hangUp
            }.value
            // After the task ended, its reference is gone: a late hang-up must not touch it.
            hangUp.cancel()
        }
    }
}
