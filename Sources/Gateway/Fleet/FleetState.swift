/// Everything routing decides on, kept under one lock by ``Fleet``: each backend's slots, circuit and
/// models, the FIFO of requests waiting for a slot, and the affinity table. Pure: each method changes
/// the state and returns what the caller must do (resume a waiter, fail one), so it is tested alone.
struct FleetState: Sendable {
    /// One backend as routing sees it.
    struct Entry: Sendable {
        var name: String
        var weight: Int
        var maxParallel: Int
        var inFlight = 0
        var circuit: Circuit
        /// Normalized names of the models it has (`/api/tags`, cut to its allow-list); nil before the first listing.
        var models: Set<String>?
        /// Normalized names of the models it has loaded (`/api/ps`).
        var loaded: Set<String> = []
        /// Still configured (a backend removed by a reload stays until its last call ends).
        var active = true
    }

    /// What one call needs.
    struct Request: Sendable, Equatable {
        /// The Ollama model, normalized.
        var model: String
        /// Only these backends (an alias's `backends`, a `model@backend` pin); nil for any.
        var allowed: Set<String>?
        /// The conversation, for affinity; nil when there is none.
        var conversation: UInt64?
        /// Backends already tried for this request (failover).
        var excluded: Set<String> = []
    }

    /// The answer to ``acquire(_:id:now:)``.
    enum Acquire: Sendable, Equatable {
        case granted(backend: String)
        /// Queued: wait for a ``Grant`` or a failure.
        case queued
        /// The queue holds ``queueMax`` requests already.
        case queueFull
        /// No healthy backend has the model (those that have it are down or were tried).
        case unavailable
    }

    /// What becomes of a waiting request when slots free up or health changes.
    enum Wake: Sendable, Equatable {
        case grant(id: Int, backend: String)
        case unavailable(id: Int)
    }

    private(set) var entries: [String: Entry] = [:]
    /// Configured order (the rotation's base order).
    private(set) var order: [String] = []
    private(set) var queue: [(id: Int, request: Request)] = []
    var queueMax: Int
    private var affinity: AffinityTable
    private var rotation = 0

    init(queueMax: Int, affinityEntries: Int) {
        self.queueMax = queueMax
        self.affinity = AffinityTable(capacity: affinityEntries)
    }

    var queueDepth: Int { queue.count }

    // MARK: Configuration and health

    /// Sets the configured backends: existing ones keep their slots, circuit and models; removed ones stop
    /// taking calls and go once idle.
    mutating func configure(_ backends: [(name: String, weight: Int, maxParallel: Int)], threshold: Int, openFor: Duration) -> [Wake] {
        let names = Set(backends.map(\.name))
        for (name, entry) in entries where !names.contains(name) {
            if entry.inFlight == 0 { entries[name] = nil } else { entries[name]?.active = false }
            affinity.forget(backend: name)
        }
        for backend in backends {
            var entry = entries[backend.name] ?? Entry(name: backend.name, weight: backend.weight, maxParallel: backend.maxParallel, circuit: Circuit(threshold: threshold, openFor: openFor))
            entry.weight = backend.weight
            entry.maxParallel = backend.maxParallel
            entry.active = true
            entries[backend.name] = entry
        }
        order = backends.map(\.name)
        return drain(now: .now)
    }

    /// A backend's listing: its models and the ones loaded now.
    mutating func discovered(_ backend: String, models: Set<String>, loaded: Set<String>, now: ContinuousClock.Instant) -> [Wake] {
        guard entries[backend] != nil else { return [] }
        entries[backend]?.models = models
        entries[backend]?.loaded = loaded
        return drain(now: now)
    }

    /// The result of an active health check.
    mutating func checked(_ backend: String, up: Bool, now: ContinuousClock.Instant) -> [Wake] {
        guard entries[backend] != nil else { return [] }
        if up { entries[backend]?.circuit.checkSucceeded(at: now) } else { entries[backend]?.circuit.failed(at: now) }
        return drain(now: now)
    }

    func isUp(_ backend: String, now: ContinuousClock.Instant) -> Bool {
        entries[backend].map { $0.active && $0.circuit.isUp(at: now) } ?? false
    }

    /// Whether `backend` is configured and known to answer (its circuit closed): what readiness asks.
    func isHealthy(_ backend: String) -> Bool {
        entries[backend].map { $0.active && $0.circuit.isHealthy } ?? false
    }

    // MARK: Slots

    /// Takes a slot for `request` on the best backend, or queues it as `id`.
    mutating func acquire(_ request: Request, id: Int, now: ContinuousClock.Instant) -> Acquire {
        let candidates = self.candidates(for: request, now: now)
        guard !candidates.isEmpty else { return .unavailable }
        // The queue only holds requests no free slot can serve (every release drains it), so a request that
        // finds a free slot may take it without jumping ahead of anyone who could have used it.
        if let chosen = BackendSelector.choose(candidates, rotation: rotation) {
            take(chosen.name, for: request, now: now)
            return .granted(backend: chosen.name)
        }
        guard queue.count < queueMax else { return .queueFull }
        queue.append((id, request))
        return .queued
    }

    /// A call on `backend` ended: its slot is free, and `outcome` feeds the circuit.
    mutating func release(_ backend: String, outcome: CallOutcome, model: String?, now: ContinuousClock.Instant) -> [Wake] {
        guard var entry = entries[backend] else { return drain(now: now) }
        entry.inFlight = max(entry.inFlight - 1, 0)
        switch outcome {
        case .ok:
            entry.circuit.succeeded()
            // It answered, so it has the model loaded now (until the next `/api/ps` says otherwise).
            if let model { entry.loaded.insert(model) }
        case .failed: entry.circuit.failed(at: now)
        case .neutral: entry.circuit.probeAbandoned()
        }
        if !entry.active && entry.inFlight == 0 { entries[backend] = nil } else { entries[backend] = entry }
        return drain(now: now)
    }

    /// Removes a waiting request (it timed out, or its client left); false when it is no longer waiting.
    mutating func cancel(_ id: Int) -> Bool {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: index)
        return true
    }

    /// Serves the queue in order: each waiter that can have a slot gets it; one no backend can serve fails.
    private mutating func drain(now: ContinuousClock.Instant) -> [Wake] {
        var wakes: [Wake] = []
        var index = 0
        while index < queue.count {
            let (id, request) = queue[index]
            let candidates = self.candidates(for: request, now: now)
            if candidates.isEmpty {
                queue.remove(at: index)
                wakes.append(.unavailable(id: id))
            } else if let chosen = BackendSelector.choose(candidates, rotation: rotation) {
                queue.remove(at: index)
                take(chosen.name, for: request, now: now)
                wakes.append(.grant(id: id, backend: chosen.name))
            } else {
                index += 1
            }
        }
        return wakes
    }

    private mutating func take(_ backend: String, for request: Request, now: ContinuousClock.Instant) {
        entries[backend]?.inFlight += 1
        entries[backend]?.circuit.callStarting(at: now)
        if let conversation = request.conversation { affinity.remember(conversation, backend) }
        rotation &+= 1
    }

    /// The healthy, configured backends that have the model and may serve the request.
    private mutating func candidates(for request: Request, now: ContinuousClock.Instant) -> [BackendSelector.Candidate] {
        let affine = request.conversation.flatMap { affinity.backend(for: $0) }
        return order.compactMap { name -> BackendSelector.Candidate? in
            guard let entry = entries[name], entry.active, entry.circuit.isUp(at: now), !request.excluded.contains(name),
                request.allowed?.contains(name) ?? true, entry.models?.contains(request.model) == true
            else { return nil }
            return .init(
                name: name, weight: entry.weight, inFlight: entry.inFlight, maxParallel: entry.maxParallel,
                loaded: entry.loaded.contains(request.model), affinity: affine == name
            )
        }
    }

    /// Whether some configured backend (healthy or not) has `model`.
    func anyBackendHas(_ model: String) -> Bool {
        entries.values.contains { $0.active && $0.models?.contains(model) == true }
    }
}

/// How a call ended, as far as the backend's health is concerned.
enum CallOutcome: String, Sendable {
    /// It answered.
    case ok
    /// Connect failure, timeout, 5xx, reset: counts against the circuit.
    case failed
    /// Says nothing about the backend (a 4xx, the client left).
    case neutral
}
