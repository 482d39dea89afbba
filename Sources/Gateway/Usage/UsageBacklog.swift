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

    /// Sums the batch's cost per subject first, so the shared table is looked up (and a subject's name built)
    /// once per key, user, team or end user of the batch, not once per record.
    private func change(_ records: some Sequence<UsageRecord>, sign: Int64) {
        var deltas: [Subject: Int64] = [:]
        for record in records where record.costMicros != 0 {
            let cost = sign * record.costMicros
            deltas[Subject(scope: .key, id: record.keyID), default: 0] += cost
            if let user = record.userID { deltas[Subject(scope: .user, id: user), default: 0] += cost }
            if let team = record.teamID { deltas[Subject(scope: .team, id: team), default: 0] += cost }
            if let endUser = record.endUser { deltas[Subject(scope: .endUser, id: endUser), default: 0] += cost }
        }
        guard !deltas.isEmpty else { return }
        costs.withLock { costs in
            for (subject, delta) in deltas { Self.apply(&costs, subject.scope.rawValue + ":" + subject.id, delta) }
        }
    }

    /// A key, user, team or end user whose cost a batch changes.
    private struct Subject: Hashable {
        var scope: LimitScope
        var id: String
    }

    private static func apply(_ costs: inout [String: Int64], _ subject: String, _ delta: Int64) {
        let total = (costs[subject] ?? 0) + delta
        costs[subject] = total == 0 ? nil : total
    }
}
