import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Locking
import UnixSignals

/// A stand-in for an Ollama server that follows Ollama's native wire format
/// (`/api/chat`, `/api/generate`, `/api/embed`, `/api/tags`, `/api/show`, `/api/ps`, ...).
///
/// Start one per test with ``start(host:port:models:behavior:)``; many may run at once in one
/// process. Replies are scripted by ``behavior`` and every request is kept in ``recordedRequests``.
public final class FakeOllama: Sendable {
    /// Installed models.
    let models: [FakeModel]
    /// Whether requests are appended to ``recordedRequests`` (off for the long-running executable).
    let recording: Bool
    let state: Locked<State>
    private let lifecycle = Locked(Lifecycle())
    private let closures = ConnectionClosures()
    /// The generation requests being served, which ``stop()`` cancels when they outlast the grace period.
    let serving = ServingTasks()

    struct State {
        var behavior: FakeOllamaBehavior
        var recorded: [RecordedRequest] = []
        /// Loaded models by name, with their expiry (for `/api/ps`).
        var loaded: [String: WallTime] = [:]
        /// Chat/generate replies being produced now, and the most there were at once.
        var generating = 0
        var peakGenerating = 0
    }

    private struct Lifecycle {
        var port = 0
        var host = "127.0.0.1"
        var group: ServiceGroup?
        var task: Task<Void, any Error>?
    }

    /// Thrown when the server stopped before it started listening.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String { "fake-ollama stopped before it started listening" }
    }

    init(models: [FakeModel], behavior: FakeOllamaBehavior, recording: Bool) {
        self.models = models
        self.recording = recording
        self.state = Locked(State(behavior: behavior))
    }

    /// Starts a server and returns once it is listening. `port: 0` picks a free port (see ``port``).
    /// `loaded` names models `/api/ps` reports loaded from the start (for an hour), as on a warm server.
    public static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        models: [FakeModel] = FakeModel.defaults,
        loaded: [String] = [],
        behavior: FakeOllamaBehavior = .init()
    ) async throws -> FakeOllama {
        let fake = try await launch(host: host, port: port, models: models, behavior: behavior, recording: true, signals: [])
        fake.preload(loaded)
        return fake
    }

    /// Runs a server until SIGINT or SIGTERM, then shuts it down gracefully and returns.
    /// Requests are not recorded. `onListening` is called once the server is listening.
    public static func serve(
        host: String = "127.0.0.1",
        port: Int = 11434,
        models: [FakeModel] = FakeModel.defaults,
        loaded: [String] = [],
        behavior: FakeOllamaBehavior = .init(),
        onListening: @Sendable (FakeOllama) -> Void = { _ in }
    ) async throws {
        let fake = try await launch(
            host: host, port: port, models: models, behavior: behavior, recording: false, signals: [.sigterm, .sigint]
        )
        fake.preload(loaded)
        onListening(fake)
        try await fake.lifecycle.withLock { $0.task }?.value
    }

    private static func launch(
        host: String, port: Int, models: [FakeModel], behavior: FakeOllamaBehavior,
        recording: Bool, signals: [UnixSignal]
    ) async throws -> FakeOllama {
        let fake = FakeOllama(models: models, behavior: behavior, recording: recording)
        var logger = Logger(label: "fake-ollama")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let closures = fake.closures
        let app = Application(
            responder: FakeOllamaResponder(server: fake),
            server: .http1(additionalChannelHandlers: [ConnectionCloseRecorder(closures: closures)]),
            configuration: .init(address: .hostname(host, port: port), serverName: nil, backlog: 1024),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? port)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            try await task.value
            throw StartError()
        }
        fake.lifecycle.withLock { $0 = Lifecycle(port: bound, host: host, group: group, task: task) }
        return fake
    }

    /// Marks the installed models among `names` loaded for an hour.
    private func preload(_ names: [String]) {
        let expiry = WallTime.now().adding(seconds: 3600)
        state.withLock { state in
            for name in names { if let model = models.lookup(name) { state.loaded[model.name] = expiry } }
        }
    }

    /// The port the server listens on.
    public var port: Int { lifecycle.withLock { $0.port } }

    /// `http://127.0.0.1:<port>` (or the bound host, when not a wildcard address).
    public var baseURL: String {
        let (host, port) = lifecycle.withLock { ($0.host, $0.port) }
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        return "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
    }

    /// How chat/generate requests are answered; changes apply to requests arriving afterwards.
    public var behavior: FakeOllamaBehavior {
        get { state.withLock { $0.behavior } }
        set { state.withLock { $0.behavior = newValue } }
    }

    /// Every request received so far, oldest first.
    public var recordedRequests: [RecordedRequest] { state.withLock { $0.recorded } }

    /// Requests received so far for `path` (e.g. `/api/chat`), oldest first.
    public func recordedRequests(path: String) -> [RecordedRequest] {
        recordedRequests.filter { $0.path == path }
    }

    /// When client connections closed (their input ended or they dropped), oldest first.
    public var connectionClosures: [ContinuousClock.Instant] { closures.all }

    /// The most chat/generate replies this fake produced at the same time (a real Ollama's parallel
    /// slots): what a gateway's `max_parallel` must bound.
    public var peakConcurrentGenerations: Int { state.withLock { $0.peakGenerating } }

    /// Counts a reply as being produced while `produce` runs.
    func generating<T>(_ produce: () async throws -> T) async rethrows -> T {
        state.withLock { state in
            state.generating += 1
            state.peakGenerating = max(state.peakGenerating, state.generating)
        }
        defer { state.withLock { $0.generating -= 1 } }
        return try await serving.run(produce)
    }

    /// Forgets the recorded requests.
    public func clearRecordedRequests() { state.withLock { $0.recorded.removeAll() } }

    /// Shuts the server down gracefully and waits until it has stopped. Calling it again does nothing.
    ///
    /// In-flight responses may finish for 2 s; then the requests still waiting (a slow or stalled
    /// reply) are cancelled, every 100 ms, until the server has stopped. The server's own task is only
    /// cancelled if it has still not stopped after 30 s: cancelling it while it holds accepted
    /// connections it has not served yet makes SwiftNIO trap (see ``ServingTasks``).
    @discardableResult
    public func stop() async -> StopOutcome {
        let (group, task) = lifecycle.withLock { life in
            defer { life.group = nil; life.task = nil }
            return (life.group, life.task)
        }
        guard let group, let task else { return .alreadyStopped }
        await group.triggerGracefulShutdown()
        let serving = self.serving
        let watchdog = Task {
            try await Task.sleep(for: .seconds(2))
            while true {
                serving.cancelAll()
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let cancelled = Locked(false)
        let backstop = Task {
            try await Task.sleep(for: .seconds(30))
            cancelled.withLock { $0 = true }
            task.cancel()
        }
        _ = await task.result
        watchdog.cancel()
        backstop.cancel()
        return cancelled.withLock { $0 } ? .cancelled : .graceful
    }

    /// How ``stop()`` ended the server.
    public enum StopOutcome: Sendable, Equatable {
        /// It shut down gracefully (requests that outlasted the grace period were cancelled).
        case graceful
        /// It had not stopped after 30 s, and its task was cancelled.
        case cancelled
        /// It had been stopped before.
        case alreadyStopped
    }
}
