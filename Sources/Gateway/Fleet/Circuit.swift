/// One backend's circuit breaker: closed (in use) → open (kept out) → half-open (one probe) → closed.
///
/// Failures come from the active check (`/api/version`) and from calls (connect failures, timeouts, 5xx,
/// resets). ``threshold`` failures in a row open the circuit for ``openFor`` (a backend that never answered
/// is out at its first failure); then one call or check may probe it: success closes it, failure opens it
/// again. Pure state: the caller supplies the time.
struct Circuit: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed
        case open(until: ContinuousClock.Instant)
        /// The open period is over; `probing` while a call is out testing the backend.
        case halfOpen(probing: Bool)
    }

    private(set) var state = State.closed
    private(set) var consecutiveFailures = 0
    /// Whether the backend ever answered; one that never did is out at its first failure.
    private(set) var everUp = false
    let threshold: Int
    let openFor: Duration

    init(threshold: Int, openFor: Duration) {
        self.threshold = threshold
        self.openFor = openFor
    }

    /// Whether a call may be sent now (without taking the half-open probe).
    func isUp(at now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed: true
        case .open(let until): now >= until
        case .halfOpen(let probing): !probing
        }
    }

    /// Whether the backend is known to answer: the circuit is closed. An open or half-open one has not
    /// answered since it failed; routing may send it a probe, but readiness counts it down until one succeeds.
    var isHealthy: Bool { state == .closed }

    /// The name `/health/ready` shows.
    func label(at now: ContinuousClock.Instant) -> String {
        switch state {
        case .closed: "up"
        case .open(let until): now >= until ? "half_open" : "down"
        case .halfOpen: "half_open"
        }
    }

    /// A call is being sent: after the open period it is the one probe.
    mutating func callStarting(at now: ContinuousClock.Instant) {
        switch state {
        case .closed, .halfOpen(probing: true): break
        case .open(let until): if now >= until { state = .halfOpen(probing: true) }
        case .halfOpen(probing: false): state = .halfOpen(probing: true)
        }
    }

    /// A call answered: the backend works.
    mutating func succeeded() {
        state = .closed
        consecutiveFailures = 0
        everUp = true
    }

    /// The active check answered. It closes a circuit whose open period is over (the check is the probe),
    /// not one still open: a backend that answers `/api/version` may still fail its calls.
    mutating func checkSucceeded(at now: ContinuousClock.Instant) {
        if case .open(let until) = state, now < until { return }
        succeeded()
    }

    mutating func failed(at now: ContinuousClock.Instant) {
        consecutiveFailures += 1
        switch state {
        case .closed where consecutiveFailures < threshold && everUp: break
        case .open: state = .open(until: now + openFor)
        default: state = .open(until: now + openFor)
        }
    }

    /// A probe call ended without telling anything (the client left, a 4xx): another may probe.
    mutating func probeAbandoned() {
        if state == .halfOpen(probing: true) { state = .halfOpen(probing: false) }
    }
}
