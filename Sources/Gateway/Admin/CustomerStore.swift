import Dialects
import Foundation
import Postgres

/// End users in PostgreSQL: the statements of ``CustomerAdminService``. Each change is written with its audit
/// row in one transaction (``KeyStore/change(actor:_:)``); values are always bound.
struct CustomerStore: Sendable {
    let keys: KeyStore

    /// Most end users one `/customer/list` answer holds (newest first).
    static let listLimit = 1_000

    /// The end user with `id`, or nil.
    func customer(id: String) async throws -> CustomerRow? {
        try await keys.row(.endUser, id: id, as: CustomerRow.self)
    }

    /// End users newest first, at most ``listLimit``.
    func list() async throws -> [CustomerRow] {
        let rows = try await keys.pool.query(
            "SELECT row_to_json(e)::text AS row FROM end_users e ORDER BY created_at DESC LIMIT $1", [PostgresValue(Self.listLimit)]
        )
        return try AdminRow.decodeAll(CustomerRow.self, from: rows.rows.map { $0[0] })
    }

    /// Creates end user `id` with `columns`; 409 when it exists.
    func create(id: String, columns: ColumnValues, actor: String) async throws -> CustomerRow {
        var insert = columns
        insert.set("user_id", .text(id))
        let conflict = GatewayError(.conflict, "An end user with this 'user_id' already exists.", param: "user_id", code: "duplicate_end_user")
        return try await keys.create(.endUser, as: CustomerRow.self, id: id, columns: insert, action: "end_user.new", actor: actor, conflict: conflict)
    }

    /// Makes end user `id` (with no limits) if it does not exist yet, audited when it is made.
    func ensure(id: String, actor: String) async throws {
        _ = try await keys.change(actor: actor) { connection in
            let row = try connection.query(
                "INSERT INTO end_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING row_to_json(end_users)::text AS row", [.text(id)]
            )
            guard let after = returnedRow(row) else { return nil }
            return AuditEntry(action: "end_user.new", targetType: "end_user", targetID: id, before: nil, after: after)
        }
    }

    /// Applies `columns` to end user `id` and audits it as `action`; nil when there is no such end user.
    func update(id: String, columns: ColumnValues, action: String, actor: String) async throws -> CustomerRow? {
        try await keys.updateAudited(.endUser, id: id, columns: columns, action: action, actor: actor).map { try AdminRow.decode(CustomerRow.self, from: $0) }
    }

    /// Deletes end user `id` and audits it; false when there is no such end user.
    func delete(id: String, actor: String) async throws -> Bool {
        let entry = try await keys.change(actor: actor) { connection in
            let row = try connection.query("DELETE FROM end_users e WHERE user_id = $1 RETURNING row_to_json(e)::text AS row", [.text(id)])
            guard let before = returnedRow(row) else { return nil }
            return AuditEntry(action: "end_user.delete", targetType: "end_user", targetID: id, before: before, after: nil)
        }
        return entry != nil
    }
}
