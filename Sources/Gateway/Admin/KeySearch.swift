import Foundation
import Postgres

/// What the dashboard's key list filters on. Each set field narrows the list; values are bound.
struct KeySearch: Sendable {
    /// Part of the alias, display form (`sk-…abcd`) or user id, any case.
    var text: String?
    var userID: String?
    /// true: only blocked keys; false: only unblocked ones.
    var blocked: Bool?
    /// Only keys that expire within this many seconds from now (and have not yet).
    var expiringWithin: TimeInterval?
    var page = 1
    var size = 25
}

extension KeyStore {
    /// One page of keys matching `search`, newest first, and how many match in all.
    func search(_ search: KeySearch, now: Date) async throws -> (rows: [KeyRow], total: Int) {
        var conditions: [String] = []
        var values: [PostgresValue] = []
        func bind(_ value: PostgresValue) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if let text = search.text {
            let pattern = bind(.text("%" + Self.likeEscaped(text) + "%"))
            conditions.append("(alias ILIKE \(pattern) ESCAPE '\\' OR display ILIKE \(pattern) ESCAPE '\\' OR user_id ILIKE \(pattern) ESCAPE '\\')")
        }
        if let userID = search.userID { conditions.append("user_id = \(bind(.text(userID)))") }
        if let blocked = search.blocked { conditions.append("blocked = \(bind(PostgresValue(blocked)))") }
        if let within = search.expiringWithin {
            conditions.append("expires_at > \(bind(PostgresValue(now))) AND expires_at <= \(bind(PostgresValue(now.addingTimeInterval(within))))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let total = try await pool.query("SELECT count(*) AS n FROM api_keys \(whereClause)", values)
        let limit = bind(PostgresValue(search.size))
        let offset = bind(PostgresValue((search.page - 1) * search.size))
        let rows = try await pool.query(
            "SELECT row_to_json(k)::text AS row FROM api_keys k \(whereClause) ORDER BY created_at DESC LIMIT \(limit) OFFSET \(offset)", values
        )
        return (try AdminRow.decodeAll(KeyRow.self, from: rows.rows.map { $0[0] }), Int(total.value(0, "n") ?? "0") ?? 0)
    }

    /// `text` with LIKE's wildcards and its escape character taken literally.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
