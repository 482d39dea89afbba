import Foundation

/// The limits of one subject (a virtual key or its owner): each nil when unlimited.
struct LimitPolicy: Sendable, Equatable {
    var rpm: Int?
    var tpm: Int?
    var parallel: Int?
    var budgetMicros: Int64?
    /// `1h`, `1d`, `7d`, `30d` or `1mo`; nil: the budget never resets.
    var budgetDuration: String?
    /// Where budget periods are counted from (the subject's `created_at`).
    var anchor: Date?

    var isUnlimited: Bool { rpm == nil && tpm == nil && parallel == nil && budgetMicros == nil }
}

extension LimitPolicy {
    /// Reads a `row_to_json(users)` object (the same limit columns as `api_keys`).
    init(row: [String: Any]) {
        self.init(
            rpm: (row["rpm_limit"] as? NSNumber)?.intValue,
            tpm: (row["tpm_limit"] as? NSNumber)?.intValue,
            parallel: (row["max_parallel_requests"] as? NSNumber)?.intValue,
            budgetMicros: (row["max_budget_micros"] as? NSNumber)?.int64Value,
            budgetDuration: row["budget_duration"] as? String,
            anchor: PostgresTime.date(row["created_at"])
        )
    }
}

extension VirtualKey {
    /// The key's own limits.
    var limits: LimitPolicy {
        LimitPolicy(
            rpm: rpmLimit, tpm: tpmLimit, parallel: maxParallelRequests, budgetMicros: maxBudgetMicros,
            budgetDuration: budgetDuration, anchor: createdAt
        )
    }
}

/// The level a limit belongs to. A request is checked against every level that has limits: its key, the
/// key's user, the key's team, and the request's end user; refusals name the level that refused.
enum LimitScope: String, Sendable, Equatable, CaseIterable {
    case key, user, team
    case endUser = "end_user"

    /// Who the level is, as a refusal's message says it.
    func owner(_ id: String) -> String {
        switch self {
        case .key: "this key"
        case .user: "this key's user"
        case .team: "this key's team '\(id)'"
        case .endUser: "the end user '\(id)'"
        }
    }
}

/// One subject of an admission: a key, user, team or end user, its id, its limits, and its current budget period.
struct LimitSubject: Sendable, Equatable {
    var scope: LimitScope
    var id: String
    var policy: LimitPolicy
    /// The budget period the request falls in (nil when the budget never resets).
    var period: BudgetWindow.Window?

    /// `tollgate:lim:{key|user|team|end_user}:<id>:` — every Redis key of the subject starts with this.
    var prefix: String { "tollgate:lim:\(scope.rawValue):\(id):" }

    /// The five Redis keys the scripts use, in their order: requests, tokens, parallel, reserved, spend.
    var redisKeys: [String] {
        let prefix = self.prefix
        let suffix = period.map { String($0.index) } ?? "all"
        return [prefix + "rpm", prefix + "tpm", prefix + "par", prefix + "res:" + suffix, prefix + "spend:" + suffix]
    }
}

/// Budget periods that reset exactly at their boundary, counted from an anchor, so a reset needs no job:
/// the spend of each period lives under its own index.
enum BudgetWindow {
    /// One period: its index since the anchor, and its bounds.
    struct Window: Sendable, Equatable {
        var index: Int
        var start: Date
        var end: Date
    }

    /// The period of `duration` (`1h`, `1d`, `7d`, `30d`, `Nmo` calendar months in UTC, any ``BudgetPeriod``
    /// text) that contains `now`, counted from `anchor`; nil for a duration that cannot be read.
    static func window(duration: String, anchor: Date, now: Date) -> Window? {
        // Bounded like every period (BudgetPeriod.maxSeconds), so that no month arithmetic overflows.
        guard BudgetPeriod.seconds(duration) != nil else { return nil }
        if duration.hasSuffix("mo"), let months = Int(duration.dropLast(2)), months > 0 {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            func start(_ i: Int) -> Date { calendar.date(byAdding: .month, value: i * months, to: anchor)! }
            var index = (calendar.dateComponents([.month], from: anchor, to: now).month ?? 0) / months
            // dateComponents rounds toward zero; step so that start <= now < end.
            while index > Int.min / 2 && start(index) > now { index -= 1 }
            while start(index + 1) <= now { index += 1 }
            return Window(index: index, start: start(index), end: start(index + 1))
        }
        guard let seconds = BudgetPeriod.seconds(duration) else { return nil }
        let length = TimeInterval(seconds)
        let index = Int((now.timeIntervalSince(anchor) / length).rounded(.down))
        let start = anchor.addingTimeInterval(Double(index) * length)
        return Window(index: index, start: start, end: start.addingTimeInterval(length))
    }
}
