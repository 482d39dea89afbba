import Dialects
import Foundation
import Logging
import Postgres
import Redis
import Locking

/// Checks and charges every limit of a request before it is forwarded, and settles the charges after.
///
/// One Lua script (``LimitScripts/admit``) checks and charges the requests-per-minute, tokens-per-minute,
/// parallel and budget limits of the key, its user, its team and the request's end user atomically in Redis:
/// all charges apply or none.
/// Settlement (``settle(_:record:)``) runs off the request path when the usage record is produced.
/// When Redis cannot be reached, ``LocalLimiter`` takes over (fail-open) or limited keys get 503.
final class Admission: Sendable {
    private let redis: RedisClient
    private let pool: PostgresPool
    private let config: GatewayConfig.Limits
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let backlog: UsageBacklog
    private let local: LocalLimiter
    private let lastFallbackWarning = Locked<ContinuousClock.Instant?>(nil)

    /// - Parameters:
    ///   - backlog: the cost of usage not yet in PostgreSQL, added to the spend a budget is seeded with.
    ///   - now: the clock budget periods are computed with (tests inject one).
    init(
        redis: RedisClient, pool: PostgresPool, config: GatewayConfig.Limits, metrics: GatewayMetrics, logger: Logger,
        backlog: UsageBacklog = UsageBacklog(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.backlog = backlog
        self.redis = redis
        self.pool = pool
        self.config = config
        self.metrics = metrics
        self.logger = logger
        self.now = now
        self.local = LocalLimiter()
    }

    /// The subjects whose limits apply to a request of `key`: the key, its user, its team, then the request's
    /// end user (each only when it has any limit). One script checks and charges them all or none.
    func subjects(for key: VirtualKey, endUser: EndUserSettings? = nil) -> [LimitSubject] {
        let date = now()
        func subject(_ scope: LimitScope, _ id: String, _ policy: LimitPolicy) -> LimitSubject? {
            guard !policy.isUnlimited else { return nil }
            let period = policy.budgetDuration.flatMap { BudgetWindow.window(duration: $0, anchor: policy.anchor ?? .distantPast, now: date) }
            return LimitSubject(scope: scope, id: id, policy: policy, period: period)
        }
        return [
            subject(.key, key.id, key.limits),
            key.userID.flatMap { id in key.userLimits.flatMap { subject(.user, id, $0) } },
            key.team.flatMap { subject(.team, $0.id, $0.limits) },
            endUser.flatMap { subject(.endUser, $0.id, $0.limits) },
        ].compactMap { $0 }
    }

    /// Admits or refuses a request of `key` (for `endUser`, when the request names one) for `model`;
    /// throws the client's error when refused.
    func admit(
        requestID: String, key: VirtualKey, endUser: EndUserSettings? = nil, promptBytes: Int, maxTokens: Int?, model: ResolvedModel
    ) async throws -> AdmissionDecision {
        let subjects = subjects(for: key, endUser: endUser)
        guard !subjects.isEmpty else { return .admitted(nil, RateLimitHeaders()) }
        let promptEstimate = (promptBytes + 3) / 4
        let completion = maxTokens ?? config.defaultMaxTokens
        var ticket = AdmissionTicket(
            requestID: requestID, subjects: subjects, tokens: promptEstimate + completion,
            costMicros: model.costMicros(promptTokens: promptEstimate, completionTokens: completion), isLocal: false
        )
        do {
            return try await admitInRedis(ticket, key: key)
        } catch let error as RedisError where error.code != .server {
            metrics.redisFailed()
            metrics.limiterFallback()
            warnFallback(error)
            guard config.redisFailure == .failOpen else {
                throw GatewayError(.overloaded, "Rate limits cannot be checked right now; try again shortly.", code: "limiter_unavailable")
            }
            ticket.isLocal = true
            let backlog = self.backlog
            return local.admit(
                ticket, ttlMs: config.reservationTTLSeconds * 1000,
                seed: { Self.cachedSpend($0, key: key) + backlog.cost(scope: $0.scope.rawValue, id: $0.id) }
            )
        }
    }

    /// Releases the slot and replaces the estimates with `record`'s real tokens and cost. Never waits.
    func settle(_ ticket: AdmissionTicket, record: UsageRecord) {
        let tokens = record.promptTokens + record.completionTokens
        if ticket.isLocal {
            local.settle(ticket, tokens: tokens, costMicros: record.costMicros)
            return
        }
        let keys = ticket.redisKeys
        let arguments = [ticket.requestID, String(ticket.tokens), String(tokens), String(ticket.costMicros), String(record.costMicros)]
            + [String(ticket.subjects.count)]
        let (metrics, logger, requestID) = (self.metrics, self.logger, ticket.requestID)
        run(LimitScripts.settle, keys: keys, arguments: arguments) { result in
            guard case .failure(let error) = result else { return }
            metrics.redisFailed()
            logger.warning("limit settlement failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
        }
    }

    private func admitInRedis(_ ticket: AdmissionTicket, key: VirtualKey) async throws -> AdmissionDecision {
        var arguments = [
            ticket.requestID, String(ticket.tokens), String(ticket.costMicros), String(config.reservationTTLSeconds * 1000),
            String(ticket.subjects.count),
        ]
        for subject in ticket.subjects {
            let p = subject.policy
            arguments += [p.rpm, p.tpm, p.parallel].map { String($0 ?? -1) } + [String(p.budgetMicros ?? -1)]
        }
        let keys = ticket.redisKeys
        for _ in 0..<3 {
            let reply = try await run(LimitScripts.admit, keys: keys, arguments: arguments).array ?? []
            let status = reply.first?.integer ?? 0
            if status == -1, let index = reply.last?.integer, ticket.subjects.indices.contains(Int(index)) {
                try await seed(ticket.subjects[Int(index)], key: key)
                continue
            }
            let numbers = reply.dropFirst(3).prefix(6).map { Int($0.integer ?? -1) }
            let headers = RateLimitHeaders(Array(numbers))
            if status == 1 { return .admitted(ticket, headers) }
            let index = Int(reply.count > 9 ? reply[9].integer ?? 0 : 0)
            return .refused(
                limit: reply[1].string ?? "rpm", subject: ticket.subjects[min(max(index, 0), ticket.subjects.count - 1)],
                retryAfterMs: Int(reply[2].integer ?? 1000), headers
            )
        }
        throw RedisError(.connectionFailed, message: "budget spend could not be seeded")
    }

    /// Puts a subject's spend for its current period into Redis (SET NX) from PostgreSQL: the all-time
    /// `spend_micros`, or the period's sum of `request_log.cost_micros`; plus the cost of its usage records
    /// still waiting in the journal (PostgreSQL does not have them yet).
    ///
    /// PostgreSQL down: the key cache's spend (all-time budgets; nothing for a period) plus the journal's,
    /// for 10 s only, so the real figure is read again soon after PostgreSQL returns. Requests of cached keys
    /// keep being admitted through an outage; a period budget then knows only the spend since the outage began.
    private func seed(_ subject: LimitSubject, key: VirtualKey) async throws {
        let unwritten = backlog.cost(scope: subject.scope.rawValue, id: subject.id)
        var spend = Self.cachedSpend(subject, key: key)
        var ttlSeconds: Int?
        do {
            // Column and table names come from this fixed table, never from the request.
            let (column, table, idColumn): (String, String, String) =
                switch subject.scope {
                case .key: ("key_id", "api_keys", "id::text")
                case .user: ("user_id", "users", "user_id")
                case .team: ("team_id", "teams", "team_id")
                case .endUser: ("end_user", "end_users", "user_id")
                }
            if let period = subject.period {
                let rows = try await pool.query(
                    "SELECT coalesce(sum(cost_micros), 0)::bigint AS s FROM request_log WHERE \(column) = $1 AND started_at >= $2",
                    [.text(subject.id), PostgresValue(period.start)]
                )
                spend = Int64(rows.value(0, "s") ?? "0") ?? 0
                ttlSeconds = max(60, Int(period.end.timeIntervalSince(now())) + 86_400)
            } else {
                let sql = "SELECT spend_micros AS s FROM \(table) WHERE \(idColumn) = $1"
                spend = Int64(try await pool.query(sql, [.text(subject.id)]).value(0, "s") ?? "0") ?? 0
            }
        } catch {
            metrics.postgresFailed()
            logger.warning("cannot read spend to seed the budget; using the cached key", metadata: ["error": "\(error)"])
            ttlSeconds = 10
        }
        let spendKey = subject.redisKeys[4]
        var command = ["SET", spendKey, String(spend + unwritten), "NX"]
        if let ttlSeconds { command += ["EX", String(ttlSeconds)] }
        try await redis.send(command)
    }

    /// The spend the key cache knows, for when neither Redis nor PostgreSQL can tell.
    static func cachedSpend(_ subject: LimitSubject, key: VirtualKey) -> Int64 {
        subject.scope == .key && subject.period == nil ? key.spendMicros : 0
    }

    /// ``run(_:keys:arguments:completion:)``, awaited: for admission, which waits on the reply.
    private func run(_ script: LuaScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        try await withCheckedThrowingContinuation { continuation in
            run(script, keys: keys, arguments: arguments) { continuation.resume(with: $0) }
        }
    }

    /// Runs `script` by its SHA-1, sending its text only when Redis does not know it yet (`NOSCRIPT`, after a
    /// restart); `completion` gets the reply on the Redis thread, so work nobody waits on (settlement) needs no task.
    private func run(
        _ script: LuaScript, keys: [String], arguments: [String], completion: @escaping @Sendable (Result<RedisValue, any Error>) -> Void
    ) {
        let tail = [String(keys.count)] + keys + arguments
        let redis = self.redis
        redis.send(["EVALSHA", script.sha1] + tail) { result in
            if case .failure(let error as RedisError) = result, error.code == .server, error.message.hasPrefix("NOSCRIPT") {
                redis.send(["EVAL", script.source] + tail, completion: completion)
            } else {
                completion(result)
            }
        }
    }

    private func warnFallback(_ error: RedisError) {
        let due = lastFallbackWarning.withLock { last in
            guard last.map({ $0.duration(to: .now) > .seconds(10) }) ?? true else { return false }
            last = .now
            return true
        }
        guard due else { return }
        let mode = config.redisFailure == .failOpen ? "the in-process limiter takes over" : "limited keys are refused"
        logger.warning("Redis unavailable for rate limits; \(mode)", metadata: ["error": "\(error)"])
    }
}
