import Dialects
import Foundation
import Postgres

/// A table whose rows the admin layer creates and changes one at a time, each change audited.
struct AuditTarget: Sendable {
    /// The table (a fixed name, never input).
    var table: String
    /// The column a row is named by.
    var idColumn: String
    /// `target_type` in the audit log.
    var type: String

    static let key = AuditTarget(table: "api_keys", idColumn: "key_hash", type: "key")
    static let user = AuditTarget(table: "users", idColumn: "user_id", type: "user")
    static let team = AuditTarget(table: "teams", idColumn: "team_id", type: "team")
    static let endUser = AuditTarget(table: "end_users", idColumn: "user_id", type: "end_user")
}

/// The insert and update every admin store makes, each in one transaction with its audit row.
extension KeyStore {
    /// Inserts a row of `target` with `columns` (which hold its id), audited as `action` on `id`. `first`
    /// runs in the same transaction before the insert. Returns the new row as JSON text.
    func insertAudited(
        _ target: AuditTarget, id: String, columns: ColumnValues, action: String, actor: String,
        first: (@Sendable (PostgresConnection) throws -> Void)? = nil
    ) async throws -> String? {
        let entry = try await change(actor: actor) { connection in
            try first?(connection)
            let row = try connection.query(
                "INSERT INTO \(target.table) (\(columns.columns)) VALUES (\(columns.placeholders(from: 1))) RETURNING row_to_json(\(target.table))::text AS row",
                columns.values
            )
            return AuditEntry(action: action, targetType: target.type, targetID: id, before: nil, after: returnedRow(row))
        }
        return entry?.after
    }

    /// Applies `columns` (and `updated_at`) to the row of `target` with `id`, audited as `action` with the row
    /// before and after. `first` runs in the same transaction once the row is locked. Returns the row after
    /// the change as JSON text, or nil when there is no such row.
    func updateAudited(
        _ target: AuditTarget, id: String, columns: ColumnValues, action: String, actor: String,
        first: (@Sendable (PostgresConnection) throws -> Void)? = nil
    ) async throws -> String? {
        var change = columns
        change.set("updated_at", .init(Date()))
        let values = change
        let entry = try await self.change(actor: actor) { connection in
            let before = try connection.query(
                "SELECT row_to_json(r)::text AS row FROM \(target.table) r WHERE \(target.idColumn) = $1 FOR UPDATE", [.text(id)]
            )
            guard let beforeRow = returnedRow(before) else { return nil }
            try first?(connection)
            let after = try connection.query(
                "UPDATE \(target.table) SET \(values.assignments(from: 2)) WHERE \(target.idColumn) = $1 RETURNING row_to_json(\(target.table))::text AS row",
                [.text(id)] + values.values
            )
            return AuditEntry(action: action, targetType: target.type, targetID: id, before: beforeRow, after: returnedRow(after))
        }
        return entry?.after
    }

    /// Inserts a row of `target` as ``insertAudited(_:id:columns:action:actor:first:)`` does and decodes it as a
    /// `Row`; a duplicate id is `conflict` (a 409).
    func create<Row: Decodable>(
        _ target: AuditTarget, as type: Row.Type, id: String, columns: ColumnValues, action: String, actor: String, conflict: GatewayError
    ) async throws -> Row {
        let text: String?
        do {
            text = try await insertAudited(target, id: id, columns: columns, action: action, actor: actor)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw conflict
        }
        guard let text else { throw GatewayError(.internalError, "PostgreSQL returned no row for the insert.") }
        return try AdminRow.decode(Row.self, from: text)
    }

    /// The row of `target` with `id`, decoded as a `Row`, or nil.
    func row<Row: Decodable>(_ target: AuditTarget, id: String, as type: Row.Type) async throws -> Row? {
        let rows = try await pool.query("SELECT row_to_json(r)::text AS row FROM \(target.table) r WHERE \(target.idColumn) = $1", [.text(id)])
        return try returnedRow(rows).map { try AdminRow.decode(Row.self, from: $0) }
    }
}
