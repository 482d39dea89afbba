import Logging
import Redis
import Locking

/// Whether every gateway has been told about a key change yet.
enum KeyPropagation: Sendable, Equatable {
    /// Published: every gateway subscribed to Redis has dropped the key.
    case delivered
    /// Redis did not take the notice; it is being retried in the background. Meanwhile gateways whose
    /// subscription is also down read PostgreSQL (at most ``KeyCache/unsubscribedMaxAge`` stale).
    case pending
}

/// Tells every gateway sharing the Redis that a key changed, so each drops it from its cache now.
///
/// A notice Redis does not take (it restarted and this process's connection is stale, or it is down) is
/// retried in the background with exponential backoff until delivered, each attempt bounded by
/// ``attemptTimeout``, for at most ``KeyCache/maxAge``: after that, every entry cached before the change
/// has expired anyway. The pending notices are bounded too: past ``maxPending`` they collapse into one
/// ``KeyCache/everything``.
final class KeyEvents: Sendable {
    static let attemptTimeout: Duration = .seconds(1)
    static let firstRetryDelay: Duration = .milliseconds(100)
    static let maxRetryDelay: Duration = .seconds(5)
    static let maxPending = 1_000

    let redis: RedisClient
    let cache: KeyCache
    /// End users' settings, which listen on the same channel (`end_user:<id>`).
    let endUsers: EndUserCache?
    let metrics: GatewayMetrics
    let logger: Logger

    private struct Pending {
        var messages: [String] = []
        var since: ContinuousClock.Instant?
        var retrying = false
    }

    private let pending = Locked(Pending())

    init(redis: RedisClient, cache: KeyCache, endUsers: EndUserCache? = nil, metrics: GatewayMetrics, logger: Logger) {
        self.redis = redis
        self.cache = cache
        self.endUsers = endUsers
        self.metrics = metrics
        self.logger = logger
    }

    /// Publishes `hashes` (or ``KeyCache/everything``, a team's or an end user's notice) on the change channel, and applies them locally
    /// first so this instance never waits on its own subscription. Returns whether Redis took them all;
    /// when not, they are retried in the background.
    @discardableResult
    func changed(_ hashes: [String]) async -> KeyPropagation {
        for hash in hashes {
            cache.invalidate(hash)
            endUsers?.invalidate(hash)
        }
        // Earlier notices still waiting go first, so they are never overtaken.
        if !isRetrying, await publish(hashes) { return .delivered }
        enqueue(hashes)
        return .pending
    }

    /// Notices waiting for Redis (for tests and the admin answer).
    var isRetrying: Bool { pending.withLock { $0.retrying } }

    /// Publishes each message once, each attempt bounded; false at the first one Redis did not take.
    private func publish(_ messages: [String]) async -> Bool {
        for message in messages {
            let sent = await withDeadline(Self.attemptTimeout) { [redis] in
                _ = try await redis.send("PUBLISH", KeyCache.channel, message)
            }
            guard sent else {
                metrics.redisFailed()
                logger.warning("cannot publish key change yet; retrying in the background")
                return false
            }
        }
        return true
    }

    private func enqueue(_ messages: [String]) {
        let start = pending.withLock { state -> Bool in
            state.messages += messages
            if state.messages.count > Self.maxPending { state.messages = [KeyCache.everything] }
            if state.since == nil { state.since = .now }
            defer { state.retrying = true }
            return !state.retrying
        }
        if start { Task { await retry() } }
    }

    /// Retries the pending notices until Redis takes them or ``KeyCache/maxAge`` has passed.
    private func retry() async {
        var delay = Self.firstRetryDelay
        while true {
            try? await Task.sleep(for: delay)
            let batch = pending.withLock { $0.messages }
            if await publish(batch) {
                let done = pending.withLock { state -> Bool in
                    state.messages.removeFirst(min(batch.count, state.messages.count))
                    guard state.messages.isEmpty else { return false }
                    state.retrying = false
                    state.since = nil
                    return true
                }
                if done {
                    logger.info("key changes delivered to the other gateways")
                    return
                }
                delay = Self.firstRetryDelay
                continue
            }
            let expired = pending.withLock { state -> Bool in
                guard let since = state.since, since.duration(to: .now) >= KeyCache.maxAge else { return false }
                state.messages.removeAll()
                state.retrying = false
                state.since = nil
                return true
            }
            if expired {
                logger.error("key changes not delivered within the key cache's lifetime; cached copies have expired since")
                return
            }
            delay = min(delay * 2, Self.maxRetryDelay)
        }
    }
}

/// Runs `operation`, giving up after `timeout`: true when it finished without throwing in time. An
/// operation that ignores cancellation (a Redis command) is abandoned, not awaited.
func withDeadline(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void) async -> Bool {
    let answer = FirstAnswer()
    return await withCheckedContinuation { continuation in
        answer.wait(continuation)
        let work = Task {
            do {
                try await operation()
                answer.give(true)
            } catch {
                answer.give(false)
            }
        }
        Task {
            try? await Task.sleep(for: timeout)
            work.cancel()
            answer.give(false)
        }
    }
}

/// A continuation resumed by whichever answer comes first; later ones are dropped.
private final class FirstAnswer: Sendable {
    private let continuation = Locked<CheckedContinuation<Bool, Never>?>(nil)

    func wait(_ continuation: CheckedContinuation<Bool, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func give(_ value: Bool) {
        continuation.withLock { waiting in
            waiting?.resume(returning: value)
            waiting = nil
        }
    }
}
