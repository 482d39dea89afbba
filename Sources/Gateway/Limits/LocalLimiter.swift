import Foundation
import Locking

/// The fail-open limiter: the admission script's semantics over in-process state, for when Redis is down.
///
/// Limits are then per process, not global. The same keys and windows are used, so a gateway that falls
/// back keeps its own requests within each key's limits.
final class LocalLimiter: Sendable {
    private struct Entry {
        var member: String
        var amount: Int64
        var score: Int64
    }

    private struct State {
        var sets: [String: [Entry]] = [:]
        var spend: [String: Int64] = [:]
    }

    private let state = Locked(State())
    private let started = ContinuousClock.now
    static let window: Int64 = 60_000

    private var nowMs: Int64 {
        let elapsed = started.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000 + 1_000_000
    }

    /// Checks and charges `ticket` like ``LimitScripts/admit``; `seed` gives a subject's spend when unknown.
    func admit(_ ticket: AdmissionTicket, ttlMs: Int, seed: (LimitSubject) -> Int64) -> AdmissionDecision {
        let now = nowMs
        return state.withLock { state in
            var headers = RateLimitHeaders()
            var refusal: (String, LimitSubject, Int)?
            for subject in ticket.subjects {
                let keys = subject.redisKeys
                let p = subject.policy
                for (index, cutoff) in [(0, now - Self.window), (1, now - Self.window), (2, now), (3, now)] {
                    state.sets[keys[index], default: []].removeAll { $0.score <= cutoff }
                }
                if let rpm = p.rpm {
                    let entries = state.sets[keys[0]] ?? []
                    let reset = Int(entries.first.map { $0.score + Self.window - now } ?? Self.window)
                    if entries.count + 1 > rpm, refusal == nil { refusal = ("rpm", subject, reset) }
                    let remaining = max(rpm - entries.count - (entries.count + 1 > rpm ? 0 : 1), 0)
                    if headers.requestsLimit < 0 || remaining < headers.requestsRemaining {
                        (headers.requestsLimit, headers.requestsRemaining, headers.requestsResetMs) = (rpm, remaining, reset)
                    }
                }
                if let tpm = p.tpm {
                    let entries = state.sets[keys[1]] ?? []
                    let used = Int(entries.reduce(0) { $0 + $1.amount })
                    let reset = Int(entries.first.map { $0.score + Self.window - now } ?? Self.window)
                    if used + ticket.tokens > tpm, refusal == nil {
                        var freed = 0
                        var wait = Int(Self.window)
                        for entry in entries {
                            freed += Int(entry.amount)
                            if used - freed + ticket.tokens <= tpm { wait = Int(entry.score + Self.window - now); break }
                        }
                        refusal = ("tpm", subject, wait)
                    }
                    let remaining = max(tpm - used - (used + ticket.tokens > tpm ? 0 : ticket.tokens), 0)
                    if headers.tokensLimit < 0 || remaining < headers.tokensRemaining {
                        (headers.tokensLimit, headers.tokensRemaining, headers.tokensResetMs) = (tpm, remaining, reset)
                    }
                }
                if let parallel = p.parallel, (state.sets[keys[2]]?.count ?? 0) >= parallel, refusal == nil {
                    refusal = ("parallel", subject, 1000)
                }
                if let budget = p.budgetMicros {
                    let spend = state.spend[keys[4]] ?? seed(subject)
                    state.spend[keys[4]] = spend
                    let reserved = (state.sets[keys[3]] ?? []).reduce(0) { $0 + $1.amount }
                    if spend >= budget || spend + reserved + ticket.costMicros > budget, refusal == nil { refusal = ("budget", subject, 0) }
                }
            }
            if let (limit, subject, retry) = refusal { return .refused(limit: limit, subject: subject, retryAfterMs: retry, headers) }
            for subject in ticket.subjects {
                let keys = subject.redisKeys
                let p = subject.policy
                let id = ticket.requestID
                if p.rpm != nil { state.sets[keys[0], default: []].append(Entry(member: id, amount: 1, score: now)) }
                if p.tpm != nil { state.sets[keys[1], default: []].append(Entry(member: id, amount: Int64(ticket.tokens), score: now)) }
                if p.parallel != nil { state.sets[keys[2], default: []].append(Entry(member: id, amount: 1, score: now + Int64(ttlMs))) }
                if p.budgetMicros != nil {
                    state.sets[keys[3], default: []].append(Entry(member: id, amount: ticket.costMicros, score: now + Int64(ttlMs)))
                }
            }
            return .admitted(ticket, headers)
        }
    }

    /// Frees the slot and replaces the estimates with the real tokens and cost.
    func settle(_ ticket: AdmissionTicket, tokens: Int, costMicros: Int64) {
        state.withLock { state in
            for subject in ticket.subjects {
                let keys = subject.redisKeys
                state.sets[keys[2]]?.removeAll { $0.member == ticket.requestID }
                state.sets[keys[3]]?.removeAll { $0.member == ticket.requestID }
                if let index = state.sets[keys[1]]?.firstIndex(where: { $0.member == ticket.requestID }) {
                    state.sets[keys[1]]?[index].amount = Int64(tokens)
                }
                if state.spend[keys[4]] != nil { state.spend[keys[4]]! += costMicros }
            }
        }
    }
}
