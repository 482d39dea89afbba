public import Logging
import NIOPosix
public import ServiceLifecycle
import Locking

/// A small pool of libpq connections whose blocking calls run on a dedicated `NIOThreadPool`,
/// never on an event loop or Swift's cooperative pool.
///
/// Connections are opened lazily, up to ``Configuration/maxConnections``. Every wait is bounded: opening a
/// connection (`connect_timeout`), each statement (`statement_timeout`), and waiting for a free connection
/// (``Configuration/leaseTimeout``, then ``PostgresError/Code/poolExhausted``). Cancelling the awaiting task
/// cancels the running statement on the server (`PQcancel`).
///
/// A pooled connection is checked before each lease, so one PostgreSQL closed while it sat idle (a restart)
/// is replaced before a statement is sent on it; a connection that breaks during the first statement of a
/// lease is replaced and the statement sent once more when that is harmless (see
/// ``PostgresConnection/query(_:_:idempotent:)``). The pool recovers by itself when PostgreSQL comes back. As a
/// `Service` the pool closes its connections and threads on graceful shutdown.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        /// A libpq connection string or `postgresql://` URL.
        public var url: String
        /// Connections (and threads) at most.
        public var maxConnections: Int
        /// libpq's `connect_timeout` (whole seconds).
        public var connectTimeout: Duration
        /// `statement_timeout` for every connection; nil leaves the server's setting.
        public var statementTimeout: Duration?
        /// How long a call waits for a free connection before failing with ``PostgresError/Code/poolExhausted``.
        public var leaseTimeout: Duration

        public init(
            url: String, maxConnections: Int = 4, connectTimeout: Duration = .seconds(5), statementTimeout: Duration? = nil,
            leaseTimeout: Duration = .seconds(30)
        ) {
            self.url = url
            self.maxConnections = max(1, maxConnections)
            self.connectTimeout = connectTimeout
            self.statementTimeout = statementTimeout
            self.leaseTimeout = leaseTimeout
        }
    }

    private let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let state: Locked<State>
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        self.state = Locked(State())
        threadPool.start()
    }

    /// Runs `body` with a leased connection on one of the pool's threads.
    ///
    /// `body` is blocking code: it may run several statements on the connection (a transaction, say). When the
    /// calling task is cancelled, the statement running is cancelled on the server and `body` fails with it.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        let slot = try await lease()
        defer { giveBack(slot) }
        try Task.checkCancellation()
        slot.startLease()
        let configuration = self.configuration
        let logger = self.logger
        return try await withTaskCancellationHandler {
            try await threadPool.runIfActive { try slot.run(body, configuration: configuration, logger: logger) }
        } onCancel: {
            slot.cancel()
        }
    }

    /// Runs one statement with bound parameters. `idempotent`: sending it twice is harmless (see
    /// ``PostgresConnection/query(_:_:idempotent:)``), so a connection that broke under it is retried.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], idempotent: Bool = false) async throws -> PostgresRows {
        try await withConnection { try $0.query(sql, parameters, idempotent: idempotent) }
    }

    /// Runs `body` inside `BEGIN … COMMIT`, rolling back when it throws.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        try await withConnection { try $0.transaction(body) }
    }

    // MARK: Leasing

    private func lease() async throws -> Slot {
        let immediate: Slot? = try state.withLock { state in
            guard !state.isClosed else { throw PostgresError(.poolClosed, message: "the PostgreSQL pool is shut down") }
            if let slot = state.idle.popLast() { return slot }
            if state.slotCount < configuration.maxConnections {
                state.slotCount += 1
                return Slot()
            }
            return nil
        }
        if let immediate { return immediate }
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = configuration.leaseTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Outcome { case slot(Slot), closed, wait }
                let outcome: Outcome = state.withLock { state in
                    if state.isClosed { return .closed }
                    if let slot = state.idle.popLast() { return .slot(slot) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                switch outcome {
                case .slot(let slot): continuation.resume(returning: slot)
                case .closed: continuation.resume(throwing: PostgresError(.poolClosed, message: "the PostgreSQL pool is shut down"))
                case .wait:
                    let timer = Task {
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        self.abandonWait(id, PostgresError(.poolExhausted, message: "no free PostgreSQL connection within \(timeout)"))
                    }
                    let served = state.withLock { state in
                        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return true }
                        state.waiters[index].timer = timer
                        return false
                    }
                    if served { timer.cancel() }
                }
            }
        } onCancel: {
            abandonWait(id, CancellationError())
        }
    }

    /// Fails the wait `id` with `error` if it is still waiting.
    private func abandonWait(_ id: Int, _ error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    private func giveBack(_ slot: Slot) {
        let waiter: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(slot)
            return nil
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: slot)
    }
}

extension PostgresPool: Service {
    /// Waits for graceful shutdown, then closes every connection and stops the pool's threads.
    public func run() async throws {
        try? await gracefulShutdown()
        let (waiters, idle) = state.withLock { state in
            state.isClosed = true
            defer {
                state.waiters = []
                state.idle = []
            }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, message: "the PostgreSQL pool is shut down"))
        }
        try await threadPool.runIfActive { idle.forEach { $0.close() } }
        try await threadPool.shutdownGracefully()
        logger.debug("postgres pool closed")
    }
}

extension PostgresPool {
    fileprivate struct State {
        var idle: [Slot] = []
        var slotCount = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var isClosed = false
    }

    /// A call waiting for a free connection, with the timer that ends its wait.
    fileprivate struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Slot, any Error>
        var timer: Task<Void, Never>?
    }

    /// One place in the pool. Its connection is touched only by whoever holds the lease, and only on a
    /// pool thread; the mutex hands leases over, which is what makes the unchecked `Sendable` sound.
    /// ``cancel()`` is the one call from elsewhere, and it touches only the mutex-guarded `control`.
    fileprivate final class Slot: @unchecked Sendable {
        private var connection: PostgresConnection?
        private let control = Locked(Control())

        private struct Control {
            var canceller: PostgresCanceller?
            var cancelRequested = false
        }

        func startLease() { control.withLock { $0.cancelRequested = false } }

        /// The awaiting task was cancelled: stop the statement running, and run no further one.
        func cancel() {
            let canceller = control.withLock { control in
                control.cancelRequested = true
                return control.canceller
            }
            canceller?.cancel()
        }

        func close() {
            connection = nil
            control.withLock { $0.canceller = nil }
        }

        /// Runs `body` on a live connection (on a pool thread), once more on a fresh one when the first broke
        /// in a way that makes resending safe.
        func run<Result>(
            _ body: (PostgresConnection) throws -> Result, configuration: Configuration, logger: Logger
        ) throws -> Result {
            var attempt = 0
            while true {
                attempt += 1
                let connection = try live(configuration)
                if control.withLock({ $0.cancelRequested }) { throw CancellationError() }
                connection.beginLease()
                do {
                    return try body(connection)
                } catch {
                    if !connection.isHealthy { close() }
                    let retry = attempt == 1 && connection.failureIsRetryable && !control.withLock { $0.cancelRequested }
                    guard retry else { throw error }
                    logger.notice("postgres connection lost; the statement is sent again on a new connection", metadata: ["error": "\(error)"])
                }
            }
        }

        /// The slot's connection if it still works, else a new one.
        private func live(_ configuration: Configuration) throws -> PostgresConnection {
            if let connection, connection.isAliveBeforeUse() { return connection }
            close()
            let fresh = try PostgresConnection(
                url: configuration.url, connectTimeout: configuration.connectTimeout, statementTimeout: configuration.statementTimeout
            )
            connection = fresh
            control.withLock { $0.canceller = fresh.canceller }
            return fresh
        }
    }
}
