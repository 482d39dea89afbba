import Foundation
import Postgres

/// Virtual keys and users in PostgreSQL. Every statement binds its values; column names come only
/// from the fixed lists below. Each change is written together with its audit row, in one transaction.
struct KeyStore: Sendable {
    let pool: PostgresPool

    /// The key with `hash`, joined with its owner's model list, or nil.
    func key(hash: String) async throws -> VirtualKey? {
        let rows = try await pool.query(
            """
            SELECT row_to_json(k)::text AS key, to_json(u.models)::text AS user_models, row_to_json(u)::text AS user_row,
                   row_to_json(t)::text AS team_row
            FROM api_keys k LEFT JOIN users u ON u.user_id = k.user_id LEFT JOIN teams t ON t.team_id = k.team_id
            WHERE k.key_hash = $1
            """,
            [.text(hash)]
        )
        guard let text = rows.value(0, "key"), let row = JSONText.decode(text) as? [String: Any] else { return nil }
        var key = VirtualKey(row: row)
        key?.userModels = rows.value(0, "user_models").flatMap { JSONText.decode($0) as? [String] } ?? []
        key?.userLimits = rows.value(0, "user_row").flatMap { JSONText.decode($0) as? [String: Any] }.map(LimitPolicy.init(row:))
        key?.team = rows.value(0, "team_row").flatMap { JSONText.decode($0) as? [String: Any] }.flatMap(TeamSettings.init(row:))
        return key
    }

    /// Rows of `table` matching `filters` (column = value), newest first, one page, each decoded as a `Row`,
    /// and the total count.
    func page<Row: Decodable>(
        of table: AdminTable, as type: Row.Type, filters: [(column: String, value: String)], page: Int, size: Int
    ) async throws -> (rows: [Row], total: Int) {
        let conditions = filters.enumerated().map { "\($0.element.column) = $\($0.offset + 1)" }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let values = filters.map { PostgresValue.text($0.value) }
        let total = try await pool.query("SELECT count(*) AS n FROM \(table.rawValue) t \(whereClause)", values)
        let rows = try await pool.query(
            """
            SELECT row_to_json(t)::text AS row FROM \(table.rawValue) t \(whereClause)
            ORDER BY \(table.order) LIMIT $\(values.count + 1) OFFSET $\(values.count + 2)
            """,
            values + [PostgresValue(size), PostgresValue((page - 1) * size)]
        )
        return (try AdminRow.decodeAll(Row.self, from: rows.rows.map { $0[0] }), Int(total.value(0, "n") ?? "0") ?? 0)
    }

    /// Runs `change` in a transaction with the audit row it produces. `change` returns the row after
    /// the change (nil if nothing matched) and the audit entry to write.
    func change(
        actor: String, _ change: @escaping @Sendable (PostgresConnection) throws -> AuditEntry?
    ) async throws -> AuditEntry? {
        try await pool.transaction { connection in
            guard let entry = try change(connection) else { return nil }
            try connection.query(
                """
                INSERT INTO audit_log (actor, action, target_type, target_id, before_value, after_value)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)
                """,
                [.text(actor), .text(entry.action), .text(entry.targetType), .text(entry.targetID), PostgresValue(entry.before), PostgresValue(entry.after)]
            )
            return entry
        }
    }
}

/// One audit row: what changed, and the row before and after (JSON text; keys appear by hash only).
struct AuditEntry: Sendable {
    var action: String
    var targetType: String
    var targetID: String
    var before: String?
    var after: String?
}

enum AdminTable: String {
    case keys = "api_keys"
    case users
    case audit = "audit_log"

    var order: String {
        switch self {
        case .keys, .users: "created_at DESC"
        case .audit: "id DESC"
        }
    }
}

/// Reads a single-row `RETURNING row_to_json(...)::text AS row` result.
func returnedRow(_ rows: PostgresRows) -> String? {
    rows.value(0, "row")
}
