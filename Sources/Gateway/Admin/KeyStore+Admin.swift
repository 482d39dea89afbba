import Dialects
import Foundation
import Postgres

/// The key-management statements of ``KeyAdminService``: each change is written with its audit row in one
/// transaction (``KeyStore/change(actor:_:)``); values are always bound, column names come only from
/// ``ColumnValues`` built by the typed request bodies.
extension KeyStore {
    /// The key with `hash`, or nil.
    func keyRow(hash: String) async throws -> KeyRow? {
        try await row(.key, id: hash, as: KeyRow.self)
    }

    /// Inserts a key with `columns` (which hold its hash); `ensureUser` is created first, with no limits of
    /// its own, when it does not exist (LiteLLM creates a user on first reference).
    func insertKey(_ columns: ColumnValues, hash: String, ensureUser: String?, actor: String) async throws -> KeyRow {
        let text = try await insertAudited(.key, id: hash, columns: columns, action: "key.generate", actor: actor, first: Self.ensuring(ensureUser))
        guard let text else { throw GatewayError(.internalError, "PostgreSQL returned no row for the insert.") }
        return try AdminRow.decode(KeyRow.self, from: text)
    }

    /// Applies `columns` to the key with `hash` and audits it as `action`; nil when there is no such key.
    /// `ensureUser` as in ``insertKey(_:hash:ensureUser:actor:)``.
    func updateKey(hash: String, columns: ColumnValues, action: String, ensureUser: String?, actor: String) async throws -> KeyRow? {
        let text = try await updateAudited(.key, id: hash, columns: columns, action: action, actor: actor, first: Self.ensuring(ensureUser))
        return try text.map { try AdminRow.decode(KeyRow.self, from: $0) }
    }

    /// What names a key to delete.
    enum KeyName {
        case hash(String)
        case alias(String)
    }

    /// Deletes the key `name` names and audits it; returns its hash, or nil when there is no such key.
    func deleteKey(_ name: KeyName, actor: String) async throws -> String? {
        let (column, value) = switch name {
        case .hash(let hash): ("key_hash", hash)
        case .alias(let alias): ("alias", alias)
        }
        let entry = try await change(actor: actor) { connection in
            let row = try connection.query("DELETE FROM api_keys k WHERE \(column) = $1 RETURNING row_to_json(k)::text AS row, key_hash", [.text(value)])
            guard let hash = row.value(0, "key_hash") else { return nil }
            return AuditEntry(action: "key.delete", targetType: "key", targetID: hash, before: returnedRow(row), after: nil)
        }
        return entry?.targetID
    }

    /// A step that makes user `id` (no limits of its own) unless it exists; nil for no user.
    private static func ensuring(_ id: String?) -> (@Sendable (PostgresConnection) throws -> Void)? {
        guard let id else { return nil }
        return { connection in try connection.query("INSERT INTO users (user_id) VALUES ($1) ON CONFLICT DO NOTHING", [.text(id)]) }
    }
}
