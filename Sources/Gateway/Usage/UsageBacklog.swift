import Locking

/// The cost of the usage records not yet committed to PostgreSQL, per key, user, team and end user.
///
/// Admission seeds a budget's spend in Redis from PostgreSQL (when Redis has none). Records still waiting in
/// the journal are not in PostgreSQL yet — PostgreSQL is down, or the records were just replayed after a
/// crash — so the seed adds their cost from here; otherwise a budget would forget up to a whole outage's
/// spend each time its Redis counter is rebuilt. Records that cost nothing never take the lock.
final class UsageBacklog: Sendable {
    private let costs = Locked<[String: Int64]>([:])

    /// `records` are waiting for PostgreSQL.
    func add(_ records: some Sequence<UsageRecord>) { change(records, sign: 1) }

    /// `records` are committed to PostgreSQL.
    func remove(_ records: some Sequence<UsageRecord>) { change(records, sign: -1) }

    /// The unwritten cost of a limit subject (`scope` is a ``LimitScope``'s raw value).
    func cost(scope: String, id: String) -> Int64 {
        costs.withLock { $0[scope + ":" + id] ?? 0 }
    }

    private func change(_ records: some Sequence<UsageRecord>, sign: Int64) {
        let charged = records.filter { $0.costMicros != 0 }
        guard !charged.isEmpty else { return }
        costs.withLock { costs in
            for record in charged {
                Self.apply(&costs, "key:" + record.keyID, sign * record.costMicros)
                if let user = record.userID { Self.apply(&costs, "user:" + user, sign * record.costMicros) }
                if let team = record.teamID { Self.apply(&costs, "team:" + team, sign * record.costMicros) }
                if let endUser = record.endUser { Self.apply(&costs, "end_user:" + endUser, sign * record.costMicros) }
            }
        }
    }

    private static func apply(_ costs: inout [String: Int64], _ subject: String, _ delta: Int64) {
        let total = (costs[subject] ?? 0) + delta
        costs[subject] = total == 0 ? nil : total
    }
}
