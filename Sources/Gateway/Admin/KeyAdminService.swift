import Dialects
import Foundation
import Postgres

/// The key-management actions, shared by the REST admin API (``KeyAdminRoutes``) and the dashboard's Keys
/// page: both hand in the same ``KeyRequest`` (decoded and validated by ``AdminJSON``), so a value refused by
/// one face is refused by the other with the same message. The statements are ``KeyStore``'s.
///
/// Every change is written with its audit row in one transaction and published to every gateway
/// (``KeyEvents``). Keys are named by secret or hash; a secret is returned only by ``generate(_:actor:)``
/// and ``regenerate(reference:_:actor:)``.
struct KeyAdminService: Sendable {
    let store: KeyStore
    let events: KeyEvents
    let catalog: ModelCatalog

    /// A key's stored row after a change, and whether every gateway has heard of the change yet.
    struct Change: Sendable {
        var row: KeyRow
        var propagation: KeyPropagation
    }

    /// Makes a key from `request`; returns its secret (shown this once) and its stored row.
    func generate(_ request: KeyRequest, actor: String) async throws -> (secret: String, row: KeyRow) {
        try await request.limits.checkModels(known)
        var columns = request.columns(now: Date())
        let secret = KeySecret.generate()
        let hash = KeySecret.hash(secret)
        columns.set("id", .text(UUID().uuidString.lowercased()), as: "$::uuid")
        columns.set("key_hash", .text(hash))
        columns.set("display", .text(KeySecret.display(secret)))
        columns.set("created_by", .text(actor))
        let insert = columns
        let row = try await Self.refusingConflicts { try await store.insertKey(insert, hash: hash, ensureUser: request.userID.value, actor: actor) }
        await events.changed([hash])
        return (secret, row)
    }

    /// The stored row of the key `reference` names.
    func info(reference: String) async throws -> KeyRow {
        guard let row = try await store.keyRow(hash: try Self.hash(naming: reference)) else { throw Self.notFound() }
        return row
    }

    /// One page of keys matching `filters` (`user_id`, `alias`, `team_id` = value), newest first.
    func list(filters: [(column: String, value: String)], paging: Paging) async throws -> (rows: [KeyRow], total: Int) {
        try await store.page(of: .keys, as: KeyRow.self, filters: filters, page: paging.page, size: paging.size)
    }

    /// Changes the fields present in `request` of the key its `key` names.
    func update(_ request: KeyRequest, actor: String) async throws -> Change {
        let hash = try request.requiredHash()
        try await request.limits.checkModels(known)
        return try await modify(hash: hash, action: "key.update", columns: request.columns(now: Date()), actor: actor, ensureUser: request.userID.value)
    }

    /// Blocks or unblocks the key `request`'s `key` names.
    func setBlocked(_ blocked: Bool, _ request: KeyRequest, actor: String) async throws -> Change {
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        return try await modify(hash: try request.requiredHash(), action: blocked ? "key.block" : "key.unblock", columns: columns, actor: actor)
    }

    /// Deletes the keys named in `keys` (secrets or hashes) and `key_aliases`; returns the names of those
    /// that existed (none is a 404).
    func delete(_ request: DeleteKeysRequest, actor: String) async throws -> (deleted: [String], propagation: KeyPropagation) {
        let keys = request.keys ?? []
        let names = try keys.map { KeyStore.KeyName.hash(try Self.hash(naming: $0)) } + (request.keyAliases ?? []).map(KeyStore.KeyName.alias)
        var deleted: [String] = []
        var deletedHashes: [String] = []
        for (reference, name) in zip(keys + (request.keyAliases ?? []), names) {
            guard let hash = try await store.deleteKey(name, actor: actor) else { continue }
            deleted.append(reference)
            deletedHashes.append(hash)
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        return (deleted, await events.changed(deletedHashes))
    }

    /// Gives the key `reference` names a new secret (returned this once), applying any other fields present.
    func regenerate(reference: String, _ request: KeyRequest, actor: String) async throws -> (secret: String, change: Change) {
        let oldHash = try Self.hash(naming: reference)
        try await request.limits.checkModels(known)
        var columns = request.columns(now: Date())
        let secret = KeySecret.generate()
        let newHash = KeySecret.hash(secret)
        columns.set("key_hash", .text(newHash))
        columns.set("display", .text(KeySecret.display(secret)))
        columns.set("last_regenerated_at", .init(Date()))
        let change = try await modify(hash: oldHash, action: "key.regenerate", columns: columns, actor: actor, alsoInvalidate: [newHash])
        return (secret, change)
    }

    // MARK: Shared steps

    /// Whether `model` is an alias or a model Ollama reports.
    private func known(_ model: String) async -> Bool { await catalog.resolve(model) != nil }

    /// Updates the key with `hash`, audits it, tells every gateway.
    private func modify(
        hash: String, action: String, columns: ColumnValues, actor: String, alsoInvalidate: [String] = [], ensureUser: String? = nil
    ) async throws -> Change {
        let row = try await Self.refusingConflicts {
            try await store.updateKey(hash: hash, columns: columns, action: action, ensureUser: ensureUser, actor: actor)
        }
        guard let row else { throw Self.notFound() }
        return Change(row: row, propagation: await events.changed([hash] + alsoInvalidate))
    }

    /// Runs `body`, turning a duplicate alias into a 409 and an unknown `team_id` into a 400.
    private static func refusingConflicts<T>(_ body: () async throws -> T) async throws -> T {
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
