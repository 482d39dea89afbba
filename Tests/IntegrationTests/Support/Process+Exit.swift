import Foundation

extension Process {
    /// Waits until the process has exited or `timeout` has passed; true when it has exited.
    ///
    /// Polls instead of `waitUntilExit()`: the cooperative pool has one thread a core, and every test and
    /// every in-process gateway of the run shares it, so two threads blocked for a second stall them all
    /// (and a timing bound in an unrelated test then fails).
    func exited(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        return !isRunning
    }

    /// Sends SIGKILL and waits (briefly, without blocking a thread) until the process is gone.
    func killNow() async {
        guard isRunning else { return }
        kill(processIdentifier, SIGKILL)
        _ = await exited(within: .seconds(10))
    }
}
