import Foundation
import Locking
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
        /// Commands waiting for the thread at most; past it ``RedisClient/send(_:)`` fails at once with
        /// ``RedisError/Code/queueFull``, so a stalled Redis cannot pile up waiting tasks without bound.
        public var maxQueued: Int
        /// How long a command may wait in the queue; one still queued then fails with ``RedisError/Code/timedOut``
        /// without being sent. Once sent, ``timeout`` bounds its reply, so a command ends within about the two.
        public var commandTimeout: Duration

        public init(
            url: RedisURL, timeout: Duration = .seconds(2), maxPipeline: Int = 512, maxQueued: Int = 10_000,
            commandTimeout: Duration = .seconds(2)
        ) {
            self.url = url
            self.timeout = timeout
            self.maxPipeline = maxPipeline
            self.maxQueued = max(1, maxQueued)
            self.commandTimeout = commandTimeout
        }
    }

    private let queue: CommandQueue
    private let logger: Logger
    private let commandTimeout: Duration

    public init(configuration: Configuration, logger: Logger) {
        self.queue = CommandQueue(limit: configuration.maxQueued)
        self.commandTimeout = configuration.commandTimeout
        self.logger = logger
        let worker = Worker(configuration: configuration, queue: queue, logger: logger)
        let thread = Thread { worker.run() }
        thread.name = "tollgate-redis"
        thread.start()
        // While the thread is stuck on a Redis that does not answer, nothing else looks at the queue: this
        // fails the commands whose deadline passed a few times per timeout, until the client closes. On a
        // thread of its own, so a busy cooperative pool cannot make those deadlines late.
        let queue = self.queue
        let sweep = min(max(configuration.commandTimeout / 4, .milliseconds(10)), .milliseconds(250))
        SweepThread.start(every: sweep) {
            guard !queue.isClosed else { return false }
            queue.failExpired()
            return true
        }
    }

    /// Sends one command and returns its reply. An error reply throws ``RedisError/Code/server``; a full queue
    /// ``RedisError/Code/queueFull`` and an expired deadline ``RedisError/Code/timedOut`` (both like Redis being down).
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RedisValue {
        let deadline = ContinuousClock.now + commandTimeout
        let reply = try await withCheckedThrowingContinuation { continuation in
            queue.enqueue(PendingCommand(arguments: arguments, deadline: deadline) { continuation.resume(with: $0) })
        }
        if case .error(let message) = reply { throw RedisError(.server, message: message) }
        return reply
    }

    /// Sends one command without waiting for it: `completion` gets its reply (an error reply as a
    /// ``RedisError/Code/server`` failure) on the Redis thread, so it must be quick and must not block.
    /// Queue limits and deadlines are those of ``send(_:)``. For work nobody waits on, so no task is made.
    public func send(_ arguments: [String], completion: @escaping @Sendable (Result<RedisValue, any Error>) -> Void) {
        let deadline = ContinuousClock.now + commandTimeout
        queue.enqueue(PendingCommand(arguments: arguments, deadline: deadline) { result in
            if case .success(.error(let message)) = result {
                completion(.failure(RedisError(.server, message: message)))
            } else {
                completion(result)
            }
        })
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
    /// When the command stops being worth sending.
    let deadline: ContinuousClock.Instant
    /// Takes the reply or the failure, exactly once.
    let complete: @Sendable (Result<RedisValue, any Error>) -> Void
}

/// The queue between tasks and the Redis thread: a condition variable guarding a bounded list of commands.
///
/// Commands whose deadline passed while they waited (the thread was stuck on a stalled Redis) are failed
/// with ``RedisError/Code/timedOut`` instead of being sent: by ``failExpired()`` (the client's sweeper), the
/// next enqueue, or when the thread takes them. All share one timeout, so they are in deadline order.
final class CommandQueue: @unchecked Sendable {
    // Invariant: `pending` and `closed` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [PendingCommand] = []
    private var closed = false
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Commands waiting now.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Fails the waiting commands whose deadline passed.
    func failExpired() {
        condition.lock()
        let expired = removeExpired(at: .now)
        condition.unlock()
        Self.fail(expired)
    }

    func enqueue(_ command: PendingCommand) {
        condition.lock()
        guard !closed else {
            condition.unlock()
            command.complete(.failure(RedisError(.clientClosed, message: "the Redis client is shut down")))
            return
        }
        let expired = removeExpired(at: .now)
        guard pending.count < limit else {
            condition.unlock()
            Self.fail(expired)
            command.complete(.failure(RedisError(.queueFull, message: "\(limit) Redis commands are already waiting")))
            return
        }
        pending.append(command)
        condition.signal()
        condition.unlock()
        Self.fail(expired)
    }

    /// Blocks until commands are queued, then takes up to `limit` of them that are still in time; nil once closed.
    func take(limit: Int) -> [PendingCommand]? {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if closed && pending.isEmpty {
                condition.unlock()
                return nil
            }
            let expired = removeExpired(at: .now)
            let count = min(limit, pending.count)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            condition.unlock()
            Self.fail(expired)
            if !batch.isEmpty { return batch }
        }
    }

    /// Takes the commands at the head whose deadline passed (lock held).
    private func removeExpired(at now: ContinuousClock.Instant) -> [PendingCommand] {
        let count = pending.prefix { $0.deadline <= now }.count
        guard count > 0 else { return [] }
        defer { pending.removeFirst(count) }
        return Array(pending.prefix(count))
    }

    private static func fail(_ commands: [PendingCommand]) {
        for command in commands {
            command.complete(.failure(RedisError(.timedOut, message: "the Redis command waited past its deadline")))
        }
    }

    func close() {
        condition.lock()
        closed = true
        let abandoned = pending
        pending = []
        condition.broadcast()
        condition.unlock()
        for command in abandoned {
            command.complete(.failure(RedisError(.clientClosed, message: "the Redis client is shut down")))
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
            batch.forEach { $0.complete(.failure(error)) }
            return
        }
        for command in batch { connection.append(command.arguments) }
        for (index, command) in batch.enumerated() {
            do {
                command.complete(.success(try connection.readReply()))
            } catch {
                logger.warning("redis connection lost", metadata: ["error": "\(error)"])
                self.connection = nil
                batch[index...].forEach { $0.complete(.failure(error)) }
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
