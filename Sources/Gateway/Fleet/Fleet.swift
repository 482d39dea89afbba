import Dialects
import Logging
import ServiceLifecycle
import Locking
import Upstream

/// The Ollama servers behind the gateway: what each has (discovery), whether each is up (health), and
/// which one answers each call (routing, queueing, failover).
///
/// Routing decisions live in ``FleetState`` under one lock; this type does the I/O around it: it polls
/// every backend's `/api/tags` and `/api/ps` and `/api/version`, places calls with failover, and wakes
/// queued requests. As a service it runs the polling loops; ``reconfigure(_:)`` swaps the backend list
/// (SIGHUP) while calls in flight finish where they are.
final class Fleet: Service, Sendable {
    /// How one configured backend is reached, and what its last listing said.
    struct Link: Sendable {
        var config: GatewayConfig.Ollama.Backend
        var client: OllamaClient
        /// Its `/api/tags` entries (cut to its allow-list) and `/api/ps` entries, as Ollama sent them.
        var tags: [JSON] = []
        var running: [JSON] = []
        /// Whether its last listing succeeded.
        var listed = false
    }

    struct Settings: Sendable {
        var maxAttempts: Int
        var queueTimeout: Duration
        var discoveryInterval: Duration
        var healthInterval: Duration
        var probeTimeout: Duration
        var circuitOpen: Duration
        var allowPinning: Bool

        init(_ config: GatewayConfig.Ollama) {
            maxAttempts = config.maxAttempts
            queueTimeout = .milliseconds(config.queueTimeoutMs)
            discoveryInterval = .milliseconds(config.discoveryIntervalMs)
            healthInterval = .milliseconds(config.healthIntervalMs)
            probeTimeout = .milliseconds(config.probeTimeoutMs)
            circuitOpen = .milliseconds(config.circuitOpenMs)
            allowPinning = config.allowPinning
        }
    }

    /// Why a request got no backend: each is a 503 with `Retry-After`.
    enum Refusal: Error, Equatable {
        case queueFull, queueTimeout, unavailable
    }

    private struct Routing {
        var book: FleetState
        var waiting: [Int: Waiter] = [:]
        var nextID = 0
    }

    private struct Waiter {
        var continuation: CheckedContinuation<String, any Error>
        var enqueued: ContinuousClock.Instant
        var timer: Task<Void, Never>?
    }

    private let engine: CurlEngine
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let links = Locked<[String: Link]>([:])
    /// Configured order.
    private let names = Locked<[String]>([])
    private let routing: Locked<Routing>
    private let settingsBox: Locked<Settings>
    /// The discovery pass in progress, shared by everyone who asks for one (single flight).
    private let discovery = Locked<Task<Void, Never>?>(nil)
    /// The models the backends list, made again whenever a listing or the backend list changes, so a
    /// request's model lookup is one dictionary read rather than a pass over every listed name.
    private let listing = Locked(ModelListing())

    init(config: GatewayConfig.Ollama, engine: CurlEngine, metrics: GatewayMetrics, logger: Logger) {
        self.engine = engine
        self.metrics = metrics
        self.logger = logger
        self.routing = Locked(Routing(book: FleetState(queueMax: config.queueMax, affinityEntries: config.affinityEntries)))
        self.settingsBox = Locked(Settings(config))
        reconfigure(config)
    }

    var settings: Settings { settingsBox.withLock { $0 } }

    /// Whether routing has a choice to make (affinity is worth computing).
    var hasSeveralBackends: Bool { names.withLock { $0.count > 1 } }

    // MARK: Configuration

    /// Takes a new backend list and settings. A backend whose name and URL stay keeps its slots, health
    /// and models; a removed one takes no new calls and its calls in flight finish. The new backends are
    /// discovered at once.
    func reconfigure(_ config: GatewayConfig.Ollama) {
        let fleet = config.fleet
        settingsBox.withLock { $0 = Settings(config) }
        links.withLock { links in
            var next: [String: Link] = [:]
            for backend in fleet {
                let client = OllamaClient(engine: engine, backend: backend, config: config)
                if var kept = links[backend.name], kept.config.url == backend.url, kept.config.headers == backend.headers {
                    kept.config = backend
                    kept.client = client
                    next[backend.name] = kept
                } else {
                    next[backend.name] = Link(config: backend, client: client)
                }
            }
            links = next
        }
        names.withLock { $0 = fleet.map(\.name) }
        relist()
        let wakes = routing.withLock { routing in
            // A replaced URL is a new server: forget what the old one had.
            routing.book.queueMax = config.queueMax
            return routing.book.configure(
                fleet.map { ($0.name, $0.weight, $0.maxParallel) }, threshold: config.failureThreshold, openFor: .milliseconds(config.circuitOpenMs)
            )
        }
        deliver(wakes)
        for backend in fleet { metrics.backendDeclared(backend.name) }
    }

    // MARK: Discovery

    /// Lists every backend's models (`/api/tags`, `/api/ps`) once; a caller arriving while a pass runs
    /// shares it. Each call is bounded by `probe_timeout_ms`. A failed listing keeps the backend's last one.
    func discover() async {
        let task = discovery.withLock { current -> Task<Void, Never> in
            if let current { return current }
            let task = Task { await self.discoverAll() }
            current = task
            return task
        }
        await task.value
        discovery.withLock { if $0 == task { $0 = nil } }
    }

    /// Waits for the discovery pass in progress, if there is one.
    func discoveryInProgress() async {
        await discovery.withLock { $0 }?.value
    }

    private func discoverAll() async {
        let targets = links.withLock { $0.map { ($0.key, $0.value.client, $0.value.config.models) } }
        let timeout = settings.probeTimeout
        await withTaskGroup(of: Void.self) { group in
            for (name, client, allowList) in targets {
                group.addTask { await self.discover(name, client: client, allowList: allowList, timeout: timeout) }
            }
        }
    }

    private func discover(_ name: String, client: OllamaClient, allowList: [String]?, timeout: Duration) async {
        async let tags = client.listing("/api/tags", timeout: timeout)
        async let running = client.listing("/api/ps", timeout: timeout)
        guard var tags = try? await tags else {
            _ = try? await running
            links.withLock { $0[name]?.listed = false }
            return
        }
        if let allowList {
            let allowed = Set(allowList.map(ModelName.normalized))
            tags = tags.filter { allowed.contains(ModelName.normalized($0["name"]?.string ?? "")) }
        }
        let served = Set(tags.compactMap { $0["name"]?.string }.map(ModelName.normalized))
        let loaded = ((try? await running) ?? []).filter { served.contains(ModelName.normalized($0["name"]?.string ?? "")) }
        let loadedNames = Set(loaded.compactMap { $0["name"]?.string }.map(ModelName.normalized))
        links.withLock { links in
            links[name]?.tags = tags
            links[name]?.running = loaded
            links[name]?.listed = true
        }
        relist()
        deliver(routing.withLock { $0.book.discovered(name, models: served, loaded: loadedNames, now: .now) })
    }

    /// Every model some backend has, each once, in configured backend order.
    func modelNames() -> [String] { listing.withLock { $0.names } }

    /// The listed model that `name` names (`llama3` for `llama3:latest`, case aside), if some backend has it.
    func listedModel(matching name: String) -> String? {
        let wanted = ModelName.normalized(name)
        return listing.withLock { $0.byNormalizedName[wanted] }
    }

    private func relist() {
        let names = unique(\.tags).compactMap { $0["name"]?.string }
        listing.withLock { $0 = ModelListing(names: names) }
    }

    /// The union of the backends' `/api/tags` entries, one per model.
    func tagEntries() -> [JSON] { unique(\.tags) }

    /// The union of the backends' `/api/ps` entries, one per model.
    func runningEntries() -> [JSON] { unique(\.running) }

    /// True when no backend could be listed the last time it was asked.
    var noListing: Bool { links.withLock { !$0.values.contains(where: \.listed) } }

    private func unique(_ list: KeyPath<Link, [JSON]>) -> [JSON] {
        let order = names.withLock { $0 }
        return links.withLock { links in
            var seen = Set<String>()
            var entries: [JSON] = []
            for name in order {
                for entry in links[name]?[keyPath: list] ?? [] where seen.insert(ModelName.normalized(entry["name"]?.string ?? "")).inserted {
                    entries.append(entry)
                }
            }
            return entries
        }
    }

    // MARK: Health

    /// Each backend's state for `/health/ready`, in configured order.
    func report() -> [BackendReport] {
        let order = names.withLock { $0 }
        let counts = links.withLock { $0.mapValues(\.tags.count) }
        return routing.withLock { routing in
            order.compactMap { name -> BackendReport? in
                guard let entry = routing.book.entries[name] else { return nil }
                return BackendReport(name: name, status: entry.circuit.label(at: .now), inFlight: entry.inFlight, models: counts[name] ?? 0)
            }
        }
    }

    /// One backend as `/health/ready` shows it.
    struct BackendReport: Sendable {
        var name: String
        /// `up`, `down` (circuit open) or `half_open`.
        var status: String
        var inFlight: Int
        /// Models it lists.
        var models: Int
    }

    /// Whether some backend is known to answer (its circuit closed): readiness waits for one.
    var anyHealthy: Bool {
        let order = names.withLock { $0 }
        return routing.withLock { routing in order.contains { routing.book.isHealthy($0) } }
    }

    /// Asks every backend's `/api/version` once (bounded by `probe_timeout_ms`) and feeds the circuits.
    func checkHealth() async {
        let targets = links.withLock { $0.map { ($0.key, $0.value.client) } }
        let timeout = settings.probeTimeout
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for (name, client) in targets { group.addTask { (name, await client.isReachable(timeout: timeout)) } }
            return await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        var cameBack = false
        // A backend's first answer counts as coming back, so its models are listed at once.
        for (name, up) in results {
            let (before, wakes, after) = routing.withLock { routing in
                let before = routing.book.isUp(name, now: .now)
                let wakes = routing.book.checked(name, up: up, now: .now)
                return (before, wakes, routing.book.isUp(name, now: .now))
            }
            deliver(wakes)
            metrics.backendUp(name, after)
            if after && !before { cameBack = true }
            if after != before { logger.info("backend \(after ? "up" : "down")", metadata: ["backend": "\(name)"]) }
        }
        if cameBack { await discover() }
    }

    /// Polls health every `health_interval_ms` and listings every `discovery_interval_ms` until shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        await self.checkHealth()
                        try? await Task.sleep(for: self.settings.healthInterval)
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.settings.discoveryInterval)
                        await self.discover()
                    }
                }
            }
        }
    }

    // MARK: Calls

    /// The client of a healthy backend that has `model` (for metadata calls such as `/api/show`, which
    /// take no slot), or of any backend when no model is named.
    func client(for model: String?) -> OllamaClient? {
        let order = names.withLock { $0 }
        let wanted = model.map(ModelName.normalized)
        let name = routing.withLock { routing in
            order.first { name in
                routing.book.isUp(name, now: .now) && (wanted.map { routing.book.entries[name]?.models?.contains($0) == true } ?? true)
            }
        }
        return name.flatMap { name in links.withLock { $0[name]?.client } }
    }

    /// Whether some configured backend has `model` (healthy or not).
    func anyBackendHas(_ model: String) -> Bool {
        routing.withLock { $0.book.anyBackendHas(ModelName.normalized(model)) }
    }

    /// A slot for `request` on the best backend, waiting in the queue (FIFO, bounded, `queue_timeout_ms`)
    /// when every candidate is full. Cancelling the waiting task leaves the queue at once.
    func acquire(_ request: FleetState.Request) async throws -> FleetLease {
        let enqueued = ContinuousClock.now
        let id = routing.withLock { routing in
            routing.nextID += 1
            return routing.nextID
        }
        let timeout = settings.queueTimeout
        let backend: String = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let answer = routing.withLock { routing -> FleetState.Acquire in
                    let answer = routing.book.acquire(request, id: id, now: enqueued)
                    if answer == .queued {
                        if Task.isCancelled {
                            _ = routing.book.cancel(id)
                            return .unavailable
                        }
                        routing.waiting[id] = Waiter(continuation: continuation, enqueued: enqueued)
                    }
                    return answer
                }
                switch answer {
                case .granted(let backend): continuation.resume(returning: backend)
                case .queueFull: continuation.resume(throwing: Refusal.queueFull)
                case .unavailable: continuation.resume(throwing: Task.isCancelled ? CancellationError() as any Error : Refusal.unavailable)
                case .queued:
                    metrics.fleetQueue(depth: routing.withLock { $0.book.queueDepth })
                    let timer = Task {
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        self.abandon(id, with: Refusal.queueTimeout)
                    }
                    let keep = routing.withLock { routing in
                        guard routing.waiting[id] != nil else { return false }
                        routing.waiting[id]?.timer = timer
                        return true
                    }
                    if !keep { timer.cancel() }
                }
            }
        } onCancel: {
            self.abandon(id, with: CancellationError())
        }
        let waited = enqueued.duration(to: .now)
        let queued = waited > .milliseconds(1) ? RequestMeter.milliseconds(waited) : nil
        if let queued { metrics.fleetQueueWait(.milliseconds(queued)) }
        return FleetLease(backend: backend, model: request.model, queueWaitMs: queued) { [weak self] ending in
            self?.released(ending)
        }
    }

    /// Sends `body` to `path` on `lease`'s backend; a connect failure, timeout or 5xx before the answer began
    /// is tried on the next candidate, up to `max_attempts` calls. The answer's slot stays in `ticket`.
    func post(_ path: String, body: [UInt8], request: FleetState.Request, lease first: FleetLease, ticket: FleetTicket) async throws
        -> UpstreamResponse
    {
        var request = request
        var lease = first
        var attempt = 1
        while true {
            ticket.attach(lease)
            guard let client = links.withLock({ $0[lease.backend]?.client }) else { throw Refusal.unavailable }
            let result: Result<UpstreamResponse, any Error>
            do {
                result = .success(try await client.post(path, body: body))
            } catch {
                result = .failure(error)
            }
            let retriable: Bool =
                switch result {
                case .success(let response): response.status >= 500
                case .failure(let error as UpstreamError): error.code != .cancelled && error.code != .engineClosed
                case .failure: false
                }
            guard retriable, !Task.isCancelled else { return try result.get() }
            lease.release(.failed)
            request.excluded.insert(lease.backend)
            logger.warning("backend call failed before the answer began", metadata: ["backend": "\(lease.backend)", "path": "\(path)", "attempt": "\(attempt)"])
            guard attempt < settings.maxAttempts, let next = try? await acquire(request) else {
                if case .failure(let error as UpstreamError) = result, error.code == .connectFailed { throw Refusal.unavailable }
                return try result.get()
            }
            if case .success(let response) = result { response.body.cancel() }
            lease = next
            attempt += 1
        }
    }

    private func released(_ ending: FleetLease.Ending) {
        let wakes = routing.withLock { routing in
            routing.book.release(ending.backend, outcome: ending.outcome, model: ending.outcome == .ok ? ending.model : nil, now: .now)
        }
        metrics.backendCall(ending.backend, outcome: ending.outcome, duration: ending.started.duration(to: .now))
        deliver(wakes)
    }

    /// Calls holding a slot on each configured backend, in configured order.
    func inFlightByBackend() -> [(backend: String, inFlight: Int)] {
        let order = names.withLock { $0 }
        return routing.withLock { routing in order.map { ($0, routing.book.entries[$0]?.inFlight ?? 0) } }
    }

    /// Whether a backend of this name is configured.
    func isConfigured(_ backend: String) -> Bool { names.withLock { $0.contains(backend) } }

    /// Fails waiter `id` with `error` if it is still waiting.
    private func abandon(_ id: Int, with error: any Error) {
        let waiter = routing.withLock { routing -> Waiter? in
            guard routing.book.cancel(id) else { return nil }
            return routing.waiting.removeValue(forKey: id)
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
        metrics.fleetQueue(depth: routing.withLock { $0.book.queueDepth })
    }

    /// Resumes the waiters `wakes` names, outside the lock.
    private func deliver(_ wakes: [FleetState.Wake]) {
        guard !wakes.isEmpty else { return }
        let (ready, depth) = routing.withLock { routing in
            let ready = wakes.compactMap { wake -> (Waiter, Result<String, any Error>)? in
                switch wake {
                case .grant(let id, let backend): routing.waiting.removeValue(forKey: id).map { ($0, .success(backend)) }
                case .unavailable(let id): routing.waiting.removeValue(forKey: id).map { ($0, .failure(Refusal.unavailable)) }
                }
            }
            return (ready, routing.book.queueDepth)
        }
        for (waiter, result) in ready {
            waiter.timer?.cancel()
            waiter.continuation.resume(with: result)
        }
        metrics.fleetQueue(depth: depth)
    }
}

/// Ollama's model-name matching: `llama3.2` is `llama3.2:latest`, and names compare case-insensitively.
enum ModelName {
    /// `name` in lower case, with `:latest` added when its last path component names no tag.
    static func normalized(_ name: String) -> String {
        let lower = name.lowercased()
        let utf8 = lower.utf8
        // The last non-empty component: trailing slashes are not a component.
        guard let last = utf8.lastIndex(where: { $0 != UInt8(ascii: "/") }) else { return lower + ":latest" }
        let component = utf8[..<utf8.index(after: last)]
        let start = component.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
        return component[start...].contains(UInt8(ascii: ":")) ? lower : lower + ":latest"
    }
}

/// The fleet's models, each once, in configured backend order, and indexed by normalized name.
struct ModelListing: Sendable {
    private(set) var names: [String] = []
    /// Normalized name → the name as listed (the first listing wins).
    private(set) var byNormalizedName: [String: String] = [:]

    init() {}

    init(names: [String]) {
        self.names = names
        for name in names where byNormalizedName[ModelName.normalized(name)] == nil {
            byNormalizedName[ModelName.normalized(name)] = name
        }
    }
}
