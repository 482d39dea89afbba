import Dialects
import Foundation
import Postgres

/// The key-management actions, shared by the REST admin API (``KeyAdminRoutes``) and the dashboard's
/// Keys page: both hand in the same ``AdminFields`` (checked field by field there and in
/// ``LimitFields``), so a value refused by one face is refused by the other with the same message.
///
/// Every change is written with its audit row in one transaction and published to every gateway
/// (``KeyEvents``). Keys are named by secret or hash; a secret is returned only by ``generate(_:actor:)``
/// and ``regenerate(reference:fields:actor:)``.
struct KeyAdminService: Sendable {
    let store: KeyStore
    let events: KeyEvents
    let catalog: ModelCatalog

    /// A key's stored row after a change, and whether every gateway has heard of the change yet.
    struct Change {
        var row: [String: Any]
        var propagation: KeyPropagation
    }

    /// Makes a key from `fields`; returns its secret (shown this once) and its stored row.
    func generate(_ fields: AdminFields, actor: String) async throws -> (secret: String, row: [String: Any]) {
        var columns = ColumnValues()
        try await readKeyFields(fields, into: &columns)
        let secret = KeySecret.generate()
        let hash = KeySecret.hash(secret)
        columns.set("id", .text(UUID().uuidString.lowercased()), as: "$::uuid")
        columns.set("key_hash", .text(hash))
        columns.set("display", .text(KeySecret.display(secret)))
        columns.set("created_by", .text(actor))
        let userID = try fields.string("user_id")
        let insert = columns
        let entry = try await uniqueAlias {
            try await store.change(actor: actor) { connection in
                if let userID {
                    // LiteLLM creates a user on first reference; so do we, with no limits of its own.
                    try connection.query("INSERT INTO users (user_id) VALUES ($1) ON CONFLICT DO NOTHING", [.text(userID)])
                }
                let row = try connection.query(
                    "INSERT INTO api_keys (\(insert.columns)) VALUES (\(insert.placeholders(from: 1))) RETURNING row_to_json(api_keys)::text AS row",
                    insert.values
                )
                return AuditEntry(action: "key.generate", targetType: "key", targetID: hash, before: nil, after: returnedRow(row))
            }
        }
        await events.changed([hash])
        return (secret, entry?.after.flatMap { JSONText.decode($0) as? [String: Any] } ?? [:])
    }

    /// The stored row of the key `reference` names.
    func info(reference: String) async throws -> [String: Any] {
        guard let row = try await store.keyRow(hash: try Self.hash(naming: reference)) else { throw Self.notFound() }
        return row
    }

    /// Changes the fields present in `fields` of the key its `key` field names.
    func update(_ fields: AdminFields, actor: String) async throws -> Change {
        let hash = try Self.hash(naming: try fields.requiredString("key"))
        var columns = ColumnValues()
        try await readKeyFields(fields, into: &columns)
        let newUser = fields.isPresent("user_id") ? try fields.string("user_id") : nil
        return try await modify(hash: hash, action: "key.update", columns: columns, actor: actor, ensureUser: newUser)
    }

    /// Blocks or unblocks the key the `key` field names.
    func setBlocked(_ blocked: Bool, _ fields: AdminFields, actor: String) async throws -> Change {
        let hash = try Self.hash(naming: try fields.requiredString("key"))
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        return try await modify(hash: hash, action: blocked ? "key.block" : "key.unblock", columns: columns, actor: actor)
    }

    /// Deletes the keys named in `keys` (secrets or hashes) and `key_aliases`; returns the names of
    /// those that existed (none is a 404).
    func delete(_ fields: AdminFields, actor: String) async throws -> (deleted: [String], propagation: KeyPropagation) {
        let keys = try fields.strings("keys") ?? []
        let aliases = try fields.strings("key_aliases") ?? []
        guard !keys.isEmpty || !aliases.isEmpty else {
            throw GatewayError(.invalidRequest, "Name the keys to delete in 'keys' or 'key_aliases'.", param: "keys")
        }
        let hashes = try keys.map { try Self.hash(naming: $0) }
        var deleted: [String] = []
        var deletedHashes: [String] = []
        for (reference, column, value) in zip(keys, hashes).map({ ($0.0, "key_hash", $0.1) }) + aliases.map({ ($0, "alias", $0) }) {
            let entry = try await store.change(actor: actor) { connection in
                let row = try connection.query(
                    "DELETE FROM api_keys k WHERE \(column) = $1 RETURNING row_to_json(k)::text AS row, key_hash", [.text(value)]
                )
                guard let hash = row.value(0, "key_hash") else { return nil }
                return AuditEntry(action: "key.delete", targetType: "key", targetID: hash, before: returnedRow(row), after: nil)
            }
            if let entry {
                deleted.append(reference)
                deletedHashes.append(entry.targetID)
            }
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        return (deleted, await events.changed(deletedHashes))
    }

    /// Gives the key `reference` names a new secret (returned this once), applying any other fields present.
    func regenerate(reference: String, fields: AdminFields, actor: String) async throws -> (secret: String, change: Change) {
        let oldHash = try Self.hash(naming: reference)
        var columns = ColumnValues()
        try await readKeyFields(fields, into: &columns)
        let secret = KeySecret.generate()
        let newHash = KeySecret.hash(secret)
        columns.set("key_hash", .text(newHash))
        columns.set("display", .text(KeySecret.display(secret)))
        columns.set("last_regenerated_at", .init(Date()))
        let change = try await modify(hash: oldHash, action: "key.regenerate", columns: columns, actor: actor, alsoInvalidate: [newHash])
        return (secret, change)
    }

    // MARK: Shared steps

    /// Updates the key with `hash`, audits it, tells every gateway.
    /// `ensureUser`: a user the key now belongs to, created (with no limits of its own) if it is new, as
    /// ``generate(_:actor:)`` does.
    private func modify(
        hash: String, action: String, columns: ColumnValues, actor: String, alsoInvalidate: [String] = [], ensureUser: String? = nil
    ) async throws -> Change {
        var columns = columns
        columns.set("updated_at", .init(Date()))
        let change = columns
        let entry = try await uniqueAlias {
            try await store.change(actor: actor) { connection in
                let before = try connection.query("SELECT row_to_json(k)::text AS row FROM api_keys k WHERE key_hash = $1 FOR UPDATE", [.text(hash)])
                guard let beforeRow = returnedRow(before) else { return nil }
                if let ensureUser {
                    try connection.query("INSERT INTO users (user_id) VALUES ($1) ON CONFLICT DO NOTHING", [.text(ensureUser)])
                }
                let after = try connection.query(
                    "UPDATE api_keys SET \(change.assignments(from: 2)) WHERE key_hash = $1 RETURNING row_to_json(api_keys)::text AS row",
                    [.text(hash)] + change.values
                )
                return AuditEntry(action: action, targetType: "key", targetID: hash, before: beforeRow, after: returnedRow(after))
            }
        }
        guard let entry else { throw Self.notFound() }
        let propagation = await events.changed([hash] + alsoInvalidate)
        return Change(row: entry.after.flatMap { JSONText.decode($0) as? [String: Any] } ?? [:], propagation: propagation)
    }

    private func readKeyFields(_ fields: AdminFields, into columns: inout ColumnValues) async throws {
        if fields.isPresent("key_alias") { columns.set("alias", PostgresValue(try fields.string("key_alias"))) }
        if fields.isPresent("blocked") { columns.set("blocked", PostgresValue(try fields.bool("blocked") ?? false)) }
        if fields.isPresent("user_id") { columns.set("user_id", PostgresValue(try fields.string("user_id"))) }
        if fields.isPresent("team_id") { columns.set("team_id", PostgresValue(try fields.string("team_id"))) }
        if fields.isPresent("trust_end_user_headers") {
            columns.set("trust_end_user_headers", PostgresValue(try fields.bool("trust_end_user_headers")))
        }
        try await LimitFields.read(fields, into: &columns) { await catalog.resolve($0) != nil }
        try LimitFields.readExpiry(fields, into: &columns)
    }

    /// Runs `body`, turning a duplicate alias into a 409 and an unknown `team_id` into a 400.
    private func uniqueAlias<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.isUniqueViolation {
            throw GatewayError(.conflict, "A key with this 'key_alias' already exists.", param: "key_alias", code: "duplicate_key_alias")
        } catch let error as PostgresError where error.isForeignKeyViolation {
            throw GatewayError(.invalidRequest, "No team has this 'team_id'; create it with /team/new first.", param: "team_id", code: "team_not_found")
        }
    }

    static func hash(naming reference: String) throws -> String {
        guard let hash = KeySecret.hash(naming: reference) else {
            throw GatewayError(.invalidRequest, "Name a key by its secret (sk-…) or its 64-digit hash.", param: "key")
        }
        return hash
    }

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such key.", param: "key", code: "key_not_found")
    }
}
