import Locking

/// The tasks serving generation requests right now, so ``FakeOllama/stop()`` can end what they wait
/// for (a first-byte delay, a pause between chunks, a stall) without cancelling the server's own task.
///
/// Cancelling the server's task is what must not happen while it runs: a connection the server has
/// accepted but not yet taken from its queue would be dropped unserved, and SwiftNIO traps on that
/// ("Deinited NIOAsyncWriter without calling finish()", swift-nio#3481). Cancelling a request's task
/// only ends that request: its connection closes and the server goes on shutting down gracefully.
final class ServingTasks: Sendable {
    /// Held only while the task runs the body it registered for, and used only under the lock.
    private struct Held: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var nextID = 0
        var held: [Int: Held] = [:]
    }

    private let state = Locked(State())

    /// Runs `body` with the calling task registered, so ``cancelAll()`` can cancel it meanwhile.
    func run<T>(_ body: () async throws -> T) async rethrows -> T {
        let id = withUnsafeCurrentTask { task in
            task.map { task in
                state.withLock { state in
                    defer { state.nextID += 1 }
                    state.held[state.nextID] = Held(task: task)
                    return state.nextID
                }
            }
        }
        defer { if let id { state.withLock { _ = $0.held.removeValue(forKey: id) } } }
        return try await body()
    }

    /// Cancels every task inside ``run(_:)`` now.
    func cancelAll() {
        state.withLock { state in
            for held in state.held.values { held.task.cancel() }
        }
    }
}
