import Locking

/// Whichever comes first while a request is served: its answer is ready, or its client hung up.
///
/// The one who waits (the request's task) suspends on a continuation; the first ``signal(_:)`` resumes
/// it, later ones are ignored. It replaces a watcher task per request: a signal can come from any thread
/// (the close watcher's callback runs on the event loop), and no task is made to wait for it.
final class RequestRace: Sendable {
    enum Winner: Sendable, Equatable {
        /// The answer (or its failure) is ready.
        case answered
        /// The client's connection closed first.
        case hungUp
    }

    private enum State {
        case running
        case waiting(CheckedContinuation<Winner, Never>)
        case decided(Winner)
    }

    private let state = Locked(State.running)

    /// Records `winner` unless something came first, and wakes the waiter.
    func signal(_ winner: Winner) {
        let waiter: CheckedContinuation<Winner, Never>? = state.withLock { state in
            switch state {
            case .running:
                state = .decided(winner)
                return nil
            case .waiting(let continuation):
                state = .decided(winner)
                return continuation
            case .decided:
                return nil
            }
        }
        waiter?.resume(returning: winner)
    }

    /// What came first; suspends until something has. Call it once.
    func winner() async -> Winner {
        await withCheckedContinuation { continuation in
            let decided: Winner? = state.withLock { state in
                switch state {
                case .running:
                    state = .waiting(continuation)
                    return nil
                case .decided(let winner):
                    return winner
                case .waiting:
                    preconditionFailure("RequestRace.winner() called twice")
                }
            }
            if let decided { continuation.resume(returning: decided) }
        }
    }
}
