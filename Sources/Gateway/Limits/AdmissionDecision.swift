import Dialects
import Foundation
import HTTPTypes

/// What an admitted request holds until it ends: the charges to settle.
struct AdmissionTicket: Sendable, Equatable {
    var requestID: String
    let subjects: [LimitSubject]
    /// Every subject's Redis keys in order, as the scripts take them: built once, for admission and settlement.
    let redisKeys: [String]
    /// The token estimate charged against tokens-per-minute.
    var tokens: Int
    /// The worst-case cost reserved against the budget, in micro-dollars.
    var costMicros: Int64
    /// Charged by the in-process fallback limiter instead of Redis.
    var isLocal: Bool

    init(requestID: String, subjects: [LimitSubject], tokens: Int, costMicros: Int64, isLocal: Bool) {
        self.requestID = requestID
        self.subjects = subjects
        self.redisKeys = subjects.flatMap(\.redisKeys)
        self.tokens = tokens
        self.costMicros = costMicros
        self.isLocal = isLocal
    }
}

/// The numbers behind the `x-ratelimit-*` headers; -1 where no such limit applies.
struct RateLimitHeaders: Sendable, Equatable {
    var requestsLimit = -1, requestsRemaining = -1, requestsResetMs = -1
    var tokensLimit = -1, tokensRemaining = -1, tokensResetMs = -1

    init() {}

    /// From the six numbers the admission script returns.
    init(_ values: [Int]) {
        guard values.count >= 6 else { return }
        (requestsLimit, requestsRemaining, requestsResetMs) = (values[0], values[1], values[2])
        (tokensLimit, tokensRemaining, tokensResetMs) = (values[3], values[4], values[5])
    }

    /// OpenAI's header names; only for the limits that apply.
    var fields: HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(6)
        if requestsLimit >= 0 {
            fields.append(HTTPField(name: Names.limitRequests, value: String(requestsLimit)))
            fields.append(HTTPField(name: Names.remainingRequests, value: String(max(requestsRemaining, 0))))
            fields.append(HTTPField(name: Names.resetRequests, value: Self.duration(ms: requestsResetMs)))
        }
        if tokensLimit >= 0 {
            fields.append(HTTPField(name: Names.limitTokens, value: String(tokensLimit)))
            fields.append(HTTPField(name: Names.remainingTokens, value: String(max(tokensRemaining, 0))))
            fields.append(HTTPField(name: Names.resetTokens, value: Self.duration(ms: tokensResetMs)))
        }
        return fields
    }

    /// The header names, checked once rather than on every answer.
    private enum Names {
        static let limitRequests = HTTPField.Name("x-ratelimit-limit-requests")!
        static let remainingRequests = HTTPField.Name("x-ratelimit-remaining-requests")!
        static let resetRequests = HTTPField.Name("x-ratelimit-reset-requests")!
        static let limitTokens = HTTPField.Name("x-ratelimit-limit-tokens")!
        static let remainingTokens = HTTPField.Name("x-ratelimit-remaining-tokens")!
        static let resetTokens = HTTPField.Name("x-ratelimit-reset-tokens")!
    }

    /// A duration as OpenAI writes it (`250ms`, `12s`, `1m0s`).
    static func duration(ms: Int) -> String {
        if ms < 1000 { return "\(max(ms, 0))ms" }
        let seconds = (ms + 999) / 1000
        return seconds < 60 ? "\(seconds)s" : "\(seconds / 60)m\(seconds % 60)s"
    }
}

/// The answer of an admission.
enum AdmissionDecision: Sendable {
    /// Admitted: settle `ticket` when the request ends (nil when nothing was charged).
    case admitted(AdmissionTicket?, RateLimitHeaders)
    /// Refused by `limit` (`rpm`, `tpm`, `parallel`, `budget`) of `subject`; nothing was charged.
    case refused(limit: String, subject: LimitSubject, retryAfterMs: Int, RateLimitHeaders)

    /// Names the level that refused (`key`, `user`, `team`, `end_user`) on every refusal.
    static let levelHeader = HTTPField.Name("x-ratelimit-level")!

    /// The client's error for a refusal: 429 for rate limits, 400 for an exhausted budget. The message and
    /// ``levelHeader`` name the level that refused.
    static func error(limit: String, subject: LimitSubject, retryAfterMs: Int, headers: RateLimitHeaders) -> GatewayError {
        let owner = subject.scope.owner(subject.id)
        if limit == "budget" {
            // 400, not 429: SDKs retry 429 and 5xx by themselves, and a spent budget does not come back in seconds.
            let budget = Double(subject.policy.budgetMicros ?? 0) / 1_000_000
            let reset = subject.period.map { "It resets at \(ISO8601DateFormatter().string(from: $0.end))." } ?? "It does not reset."
            var error = GatewayError(
                .invalidRequest, "Budget exceeded for \(owner) (level: \(subject.scope.rawValue)): the max budget is $\(budget). \(reset)",
                code: "budget_exceeded"
            )
            error.headers[levelHeader] = subject.scope.rawValue
            return error
        }
        let what =
            switch limit {
            case "rpm": "requests per minute (\(subject.policy.rpm ?? 0))"
            case "tpm": "tokens per minute (\(subject.policy.tpm ?? 0))"
            default: "parallel requests (\(subject.policy.parallel ?? 0))"
            }
        let retry = max(1, (retryAfterMs + 999) / 1000)
        var error = GatewayError(
            .rateLimited, "Rate limit reached for \(owner) (level: \(subject.scope.rawValue)): \(what). Please try again in \(retry)s.",
            code: "rate_limit_exceeded"
        )
        error.headers = headers.fields
        error.headers[levelHeader] = subject.scope.rawValue
        error.headers[.retryAfter] = String(retry)
        return error
    }
}
