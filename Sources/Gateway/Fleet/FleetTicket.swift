import Synchronization
import Locking

/// One request's hold on the fleet: the slot it has (on the backend answering it), how many backends it
/// tried, and how long it queued. The request's ``RequestMeter`` carries it and ends it when the request
/// ends, which frees the slot exactly once, whichever way the request ended.
final class FleetTicket: Sendable {
    private struct State {
        var backend: String?
        var attempts = 0
        var queueWaitMs: Double?
        var lease: FleetLease?
        var finished = false
    }

    private let state = Locked(State())

    /// What the usage record says of the fleet.
    struct Summary: Sendable, Equatable {
        var backend: String?
        var attempts: Int
        var queueWaitMs: Double?
    }

    /// The request now holds `lease` (a first call, or a failover's next one). A ticket already ended
    /// (the client left while the call was being placed) gives the slot back at once.
    func attach(_ lease: FleetLease) {
        let finished = state.withLock { state in
            state.lease = lease
            state.backend = lease.backend
            state.attempts += 1
            if let waited = lease.queueWaitMs { state.queueWaitMs = (state.queueWaitMs ?? 0) + waited }
            return state.finished
        }
        if finished { lease.release(.neutral) }
    }

    /// Ends the request: its slot is released with `outcome`. Returns what the usage record needs.
    @discardableResult
    func finish(_ outcome: CallOutcome) -> Summary {
        let (lease, summary) = state.withLock { state in
            state.finished = true
            defer { state.lease = nil }
            return (state.lease, Summary(backend: state.backend, attempts: state.attempts, queueWaitMs: state.queueWaitMs))
        }
        lease?.release(outcome)
        return summary
    }
}

/// A slot on one backend, held for one call until ``release(_:)`` (or, as a safety net, until dropped).
final class FleetLease: Sendable {
    let backend: String
    /// The normalized model the call is for (marked loaded on the backend when the call succeeds).
    let model: String
    /// How long the request waited in the queue for this slot; nil when it had one at once.
    let queueWaitMs: Double?
    let started = ContinuousClock.now
    private let released = Atomic<Bool>(false)
    private let onRelease: @Sendable (Ending) -> Void

    /// What the fleet learns when a slot comes back.
    struct Ending: Sendable {
        var backend: String
        var model: String
        var started: ContinuousClock.Instant
        var outcome: CallOutcome
    }

    init(backend: String, model: String, queueWaitMs: Double?, onRelease: @escaping @Sendable (Ending) -> Void) {
        self.backend = backend
        self.model = model
        self.queueWaitMs = queueWaitMs
        self.onRelease = onRelease
    }

    /// Gives the slot back; later calls do nothing.
    func release(_ outcome: CallOutcome) {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        onRelease(Ending(backend: backend, model: model, started: started, outcome: outcome))
    }

    deinit { release(.neutral) }
}
