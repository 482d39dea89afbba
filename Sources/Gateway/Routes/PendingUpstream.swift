import Locking
import Upstream

/// An Ollama call whose answer has not begun yet, waited for in slices.
///
/// A streamed call whose answer does not begin within a short grace (Ollama is loading the model or
/// reading a long prompt) is answered `200` at once, and the client gets keep-alives while this waits;
/// each ``wait(upTo:)`` returns after at most its timeout, without disturbing the call.
final class PendingUpstream: Sendable {
    private struct State {
        var result: Result<UpstreamResponse, any Error>?
        var waiter: CheckedContinuation<Result<UpstreamResponse, any Error>?, Never>?
        var waiterID = 0
        /// The waiter's timeout; cancelled as soon as the answer arrives, so no sleeping task outlives it.
        var timer: Task<Void, Never>?
    }

    /// Makes the call and hands its result to whoever waits: one task per call.
    private let task: Task<Void, Never>
    private let state: Locked<State>

    init(_ start: @escaping @Sendable () async throws -> UpstreamResponse) {
        let state = Locked(State())
        self.state = state
        task = Task {
            let result: Result<UpstreamResponse, any Error>
            do { result = .success(try await start()) } catch { result = .failure(error) }
            let (waiter, timer) = state.withLock { state in
                state.result = result
                defer {
                    state.waiter = nil
                    state.timer = nil
                }
                return (state.waiter, state.timer)
            }
            timer?.cancel()
            waiter?.resume(returning: result)
        }
    }

    /// Ollama's answer (or failure) once its head arrived; nil if it has not within `timeout`. Cancelling
    /// the waiting task cancels the call.
    func wait(upTo timeout: Duration) async -> Result<UpstreamResponse, any Error>? {
        await withTaskCancellationHandler {
            await waitOnce(upTo: timeout)
        } onCancel: {
            cancel()
        }
    }

    private func waitOnce(upTo timeout: Duration) async -> Result<UpstreamResponse, any Error>? {
        await withCheckedContinuation { continuation in
            let (ready, id): (Result<UpstreamResponse, any Error>?, Int) = state.withLock { state in
                if let result = state.result { return (result, 0) }
                state.waiterID += 1
                state.waiter = continuation
                return (nil, state.waiterID)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withLock { state -> CheckedContinuation<Result<UpstreamResponse, any Error>?, Never>? in
                    guard state.waiterID == id, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    state.timer = nil
                    return waiter
                }
                waiter?.resume(returning: nil)
            }
            state.withLock { state in
                if state.waiterID == id, state.waiter != nil { state.timer = timer } else { timer.cancel() }
            }
        }
    }

    /// Abandons the call (the client left); a waiter then sees the cancellation.
    func cancel() { task.cancel() }
}
