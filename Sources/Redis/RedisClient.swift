import Foundation
public import Logging
public import ServiceLifecycle

/// A Redis client whose one connection is owned by a dedicated thread that pipelines.
///
/// Tasks hand commands to the thread and suspend. The thread takes every command queued since its last
/// round, writes them all, then reads all their replies and resumes the tasks, so under load one round
/// trip serves many requests. hiredis blocks, so it never runs on an event loop or the cooperative pool.
///
/// A broken connection fails the commands in flight and is reopened on the next round; Redis coming back
/// needs no restart. As a `Service` the client stops its thread on graceful shutdown.
public final class RedisClient: Sendable {
    public struct Configuration: Sendable {
        public var url: RedisURL
        /// Bound on connecting and on each read or write; a dead server fails commands after this.
        public var timeout: Duration
        /// Commands written per round at most.
        public var maxPipeline: Int

        public init(url: RedisURL, timeout: Duration = .seconds(2), maxPipeline: Int = 512) {
            self.url = url
            self.timeout = timeout
            self.maxPipeline = maxPipeline
        }
    }

    private let queue: CommandQueue
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.queue = CommandQueue()
        self.logger = logger
        let worker = Worker(configuration: configuration, queue: queue, logger: logger)
        let thread = Thread { worker.run() }
        thread.name = "tollgate-redis"
        thread.start()
    }

    /// Sends one command and returns its reply. An error reply throws ``RedisError/Code/server``.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RedisValue {
        let reply = try await withCheckedThrowingContinuation { continuation in
            queue.enqueue(PendingCommand(arguments: arguments, continuation: continuation))
        }
        if case .error(let message) = reply { throw RedisError(.server, message: message) }
        return reply
    }

    public func send(_ arguments: String...) async throws -> RedisValue {
        try await send(arguments)
    }

    /// True when Redis answers `PING`.
    public func ping() async -> Bool {
        (try? await send(["PING"]))?.string == "PONG"
    }

    /// Stops the thread; queued and later commands fail with ``RedisError/Code/clientClosed``.
    public func close() {
        queue.close()
    }
}

extension RedisClient: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }
}

struct PendingCommand {
    let arguments: [String]
    let continuation: CheckedContinuation<RedisValue, any Error>
}

/// The queue between tasks and the Redis thread: a condition variable guarding a list of commands.
final class CommandQueue: @unchecked Sendable {
    // Invariant: `pending` and `isClosed` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [PendingCommand] = []
    private var isClosed = false

    func enqueue(_ command: PendingCommand) {
        condition.lock()
        guard !isClosed else {
            condition.unlock()
            command.continuation.resume(throwing: RedisError(.clientClosed, message: "the Redis client is shut down"))
            return
        }
        pending.append(command)
        condition.signal()
        condition.unlock()
    }

    /// Blocks until commands are queued, then takes up to `limit` of them; nil once closed.
    func take(limit: Int) -> [PendingCommand]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !isClosed { condition.wait() }
        if isClosed && pending.isEmpty { return nil }
        let count = min(limit, pending.count)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        return batch
    }

    func close() {
        condition.lock()
        isClosed = true
        let abandoned = pending
        pending = []
        condition.broadcast()
        condition.unlock()
        for command in abandoned {
            command.continuation.resume(throwing: RedisError(.clientClosed, message: "the Redis client is shut down"))
        }
    }
}

/// The thread's side: owns the connection, runs rounds until the queue closes.
private final class Worker: @unchecked Sendable {
    // Invariant: everything here is used only on the Redis thread, after `init`.
    private let configuration: RedisClient.Configuration
    private let queue: CommandQueue
    private let logger: Logger
    private var connection: RedisConnection?
    private var lastConnectFailure: ContinuousClock.Instant?

    init(configuration: RedisClient.Configuration, queue: CommandQueue, logger: Logger) {
        self.configuration = configuration
        self.queue = queue
        self.logger = logger
    }

    func run() {
        while let batch = queue.take(limit: configuration.maxPipeline) {
            round(batch)
        }
        connection = nil
    }

    private func round(_ batch: [PendingCommand]) {
        let connection: RedisConnection
        do {
            connection = try connected()
        } catch {
            batch.forEach { $0.continuation.resume(throwing: error) }
            return
        }
        for command in batch { connection.append(command.arguments) }
        for (index, command) in batch.enumerated() {
            do {
                command.continuation.resume(returning: try connection.readReply())
            } catch {
                logger.warning("redis connection lost", metadata: ["error": "\(error)"])
                self.connection = nil
                batch[index...].forEach { $0.continuation.resume(throwing: error) }
                return
            }
        }
    }

    /// The open connection, or a new one. After a failed attempt, commands fail fast for a moment
    /// instead of each waiting out a connect timeout against a dead server.
    private func connected() throws -> RedisConnection {
        if let connection { return connection }
        if let last = lastConnectFailure, last.duration(to: .now) < .milliseconds(250) {
            throw RedisError(.connectionFailed, message: "Redis is unreachable")
        }
        do {
            let connection = try RedisConnection(url: configuration.url, timeout: configuration.timeout)
            self.connection = connection
            lastConnectFailure = nil
            logger.debug("redis connected")
            return connection
        } catch {
            lastConnectFailure = .now
            throw error
        }
    }
}
