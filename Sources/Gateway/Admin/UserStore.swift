import Dialects
import Foundation
import Postgres

/// Users in PostgreSQL: the statements of ``UserAdminService``. Each change is written with its audit row in
/// one transaction (``KeyStore/change(actor:_:)``); values are always bound.
struct UserStore: Sendable {
    let keys: KeyStore

    /// The user with `id`, or nil.
    func user(id: String) async throws -> UserRow? {
        try await keys.row(.user, id: id, as: UserRow.self)
    }

    /// One page of users, newest first, and how many there are.
    func page(_ page: Int, size: Int) async throws -> (rows: [UserRow], total: Int) {
        try await keys.page(of: .users, as: UserRow.self, filters: [], page: page, size: size)
    }

    /// Creates user `id` with `columns`; 409 when the id is taken.
    func create(id: String, columns: ColumnValues, actor: String) async throws -> UserRow {
        var insert = columns
        insert.set("user_id", .text(id))
        let conflict = GatewayError(.conflict, "A user with this 'user_id' already exists.", param: "user_id", code: "duplicate_user_id")
        return try await keys.create(.user, as: UserRow.self, id: id, columns: insert, action: "user.new", actor: actor, conflict: conflict)
    }

    /// Applies `columns` to user `id` and audits it; nil when there is no such user.
    func update(id: String, columns: ColumnValues, actor: String) async throws -> UserRow? {
        try await keys.updateAudited(.user, id: id, columns: columns, action: "user.update", actor: actor).map { try AdminRow.decode(UserRow.self, from: $0) }
    }

    /// Deletes user `id` and every key it owns; returns the deleted keys' hashes, or nil when there is no such user.
    func delete(id: String, actor: String) async throws -> [String]? {
        let entry = try await keys.change(actor: actor) { connection in
            let keys = try connection.query("DELETE FROM api_keys WHERE user_id = $1 RETURNING key_hash", [.text(id)])
            let row = try connection.query("DELETE FROM users u WHERE user_id = $1 RETURNING row_to_json(u)::text AS row", [.text(id)])
            guard let before = returnedRow(row) else { return nil }
            let hashes = keys.rows.compactMap { $0[0] }
            return AuditEntry(action: "user.delete", targetType: "user", targetID: id, before: before, after: DeletedKeys(deletedKeys: hashes).json)
        }
        return entry.map { DeletedKeys.read($0.after) }
    }
}
