public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A small pool of libpq connections whose blocking calls run on a dedicated `NIOThreadPool`,
/// never on an event loop or Swift's cooperative pool.
///
/// Connections are opened lazily, up to ``Configuration/maxConnections``; a broken connection is discarded
/// and replaced on next use, so the pool recovers by itself when PostgreSQL comes back. As a `Service`
/// the pool closes its connections and threads on graceful shutdown.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        /// A libpq connection string or `postgresql://` URL.
        public var url: String
        /// Connections (and threads) at most.
        public var maxConnections: Int

        public init(url: String, maxConnections: Int = 4) {
            self.url = url
            self.maxConnections = max(1, maxConnections)
        }
    }

    private let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let state: Mutex<State>
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        self.state = Mutex(State())
        threadPool.start()
    }

    /// Runs `body` with a leased connection on one of the pool's threads.
    ///
    /// `body` is blocking code: it may run several statements on the connection (a transaction, say).
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        let slot = try await lease()
        let url = configuration.url
        do {
            let result = try await threadPool.runIfActive {
                let connection = try slot.connection ?? PostgresConnection(url: url)
                slot.connection = connection
                return try body(connection)
            }
            giveBack(slot)
            return result
        } catch {
            if slot.connection?.isHealthy != true { slot.connection = nil }
            giveBack(slot)
            throw error
        }
    }

    /// Runs one statement with bound parameters.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withConnection { try $0.query(sql, parameters) }
    }

    /// Runs `body` inside `BEGIN … COMMIT`, rolling back when it throws.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try connection.query("BEGIN")
            do {
                let result = try body(connection)
                try connection.query("COMMIT")
                return result
            } catch {
                if connection.isHealthy { _ = try? connection.query("ROLLBACK") }
                throw error
            }
        }
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
        return try await withCheckedThrowingContinuation { continuation in
            let closed = state.withLock { state in
                if state.isClosed { return true }
                if let slot = state.idle.popLast() {
                    continuation.resume(returning: slot)
                } else {
                    state.waiters.append(continuation)
                }
                return false
            }
            if closed { continuation.resume(throwing: PostgresError(.poolClosed, message: "the PostgreSQL pool is shut down")) }
        }
    }

    private func giveBack(_ slot: Slot) {
        let waiter: CheckedContinuation<Slot, any Error>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(slot)
            return nil
        }
        waiter?.resume(returning: slot)
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
        for waiter in waiters { waiter.resume(throwing: PostgresError(.poolClosed, message: "the PostgreSQL pool is shut down")) }
        try await threadPool.runIfActive { idle.forEach { $0.connection = nil } }
        try await threadPool.shutdownGracefully()
        logger.debug("postgres pool closed")
    }
}

extension PostgresPool {
    fileprivate struct State {
        var idle: [Slot] = []
        var slotCount = 0
        var waiters: [CheckedContinuation<Slot, any Error>] = []
        var isClosed = false
    }

    /// One place in the pool. Its connection is touched only by whoever holds the lease, and only on a
    /// pool thread; the mutex hands leases over, which is what makes the unchecked `Sendable` sound.
    fileprivate final class Slot: @unchecked Sendable {
        var connection: PostgresConnection?
    }
}
