import Locking

/// Cancels the task serving a request when its client hangs up, for as long as the request is served.
///
/// Made by the serving task itself, it holds a reference to that task until ``disarm()``. The close
/// watcher's callback (on the event loop) calls ``cancel()``; both take one lock, so a hang-up after
/// `disarm()` touches nothing and the task reference is never used once the request has left it. This
/// replaces a child task per request that raced the answer against the hang-up: the request is served
/// where it already runs, with no task to create and no suspension to wait for either.
///
/// ```swift
/// let hangUp = HangUpCancellation()
/// let token = watcher.whenClosed { hangUp.cancel() }
/// defer { hangUp.disarm(); watcher.cancel(token) }
/// ```
final class HangUpCancellation: Sendable {
    /// The serving task, until disarmed. Unchecked: it is only used inside the lock, while the task runs.
    private struct ServingTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var serving: ServingTask?
        var hungUp = false
    }

    private let state: Locked<State>

    /// Must be made on the task to cancel (nil outside a task: then there is nothing to cancel).
    init() {
        state = Locked(State(serving: withUnsafeCurrentTask { task in task.map(ServingTask.init) }))
    }

    /// Records the hang-up and cancels the serving task, unless the request already left it.
    func cancel() {
        state.withLock { state in
            state.hungUp = true
            state.serving?.task.cancel()
        }
    }

    /// Whether the client hung up (``cancel()`` ran), before or after ``disarm()``.
    var hungUp: Bool { state.withLock { $0.hungUp } }

    /// Ends the hold on the task; a later ``cancel()`` cancels nothing. Call before the request's task moves on.
    func disarm() {
        state.withLock { $0.serving = nil }
    }
}
