import Dialects
import Foundation
import Postgres

/// The end-user actions (`/customer/*`, LiteLLM's "customers"): optional rpm/tpm/parallel limits, a budget and
/// a block for the person behind a request (``EndUser``), checked in the same admission as the key's. The
/// statements are ``CustomerStore``'s.
///
/// Each change is audited and publishes `end_user:<id>` on the key-change channel, so every gateway drops its
/// cached settings for that end user at once (``EndUserCache``).
struct CustomerAdminService: Sendable {
    let store: CustomerStore
    let events: KeyEvents

    func create(_ request: CustomerRequest, actor: String) async throws -> (CustomerRow, KeyPropagation) {
        var columns = request.limits.columns
        if let alias = request.alias.value { columns.set("alias", .text(alias)) }
        let row = try await store.create(id: request.userID, columns: columns, actor: actor)
        return (row, await events.changed([EndUserCache.prefix + request.userID]))
    }

    func info(id: String) async throws -> CustomerRow {
        guard let row = try await store.customer(id: id) else { throw Self.notFound() }
        return row
    }

    func list() async throws -> [CustomerRow] { try await store.list() }

    func update(_ request: CustomerRequest, actor: String) async throws -> (CustomerRow, KeyPropagation) {
        var columns = request.limits.columns
        if !request.alias.isAbsent { columns.set("alias", PostgresValue(request.alias.value)) }
        return try await change(request.userID, columns: columns, action: "end_user.update", actor: actor)
    }

    func delete(_ request: CustomerIDsRequest, actor: String) async throws -> (CustomerChangeResponse, KeyPropagation) {
        var deleted: [String] = []
        for id in request.userIDs where try await store.delete(id: id, actor: actor) { deleted.append(id) }
        guard !deleted.isEmpty else { throw Self.notFound() }
        return (CustomerChangeResponse(userIDs: deleted), await events.changed(deleted.map { EndUserCache.prefix + $0 }))
    }

    /// Blocks or unblocks end users. LiteLLM blocks an end user it has not seen yet by creating it blocked, and
    /// so does this; unblocking one that does not exist does nothing (a 404 when none of them exists).
    func setBlocked(_ blocked: Bool, _ request: CustomerIDsRequest, actor: String) async throws -> (CustomerChangeResponse, KeyPropagation) {
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        var changed: [String] = []
        var propagation = KeyPropagation.delivered
        for id in request.userIDs {
            if blocked { try await store.ensure(id: try Self.checkedID(id), actor: actor) }
            do {
                let (_, delivered) = try await change(id, columns: columns, action: blocked ? "end_user.block" : "end_user.unblock", actor: actor)
                changed.append(id)
                if delivered == .pending { propagation = .pending }
            } catch let error as GatewayError where error.error.code == Self.notFound().error.code {
                continue
            }
        }
        guard !changed.isEmpty else { throw Self.notFound() }
        return (CustomerChangeResponse(userIDs: changed), propagation)
    }

    /// Updates end user `id`, audits it, and tells every gateway; 404 when there is no such end user.
    private func change(_ id: String, columns: ColumnValues, action: String, actor: String) async throws -> (CustomerRow, KeyPropagation) {
        guard let row = try await store.update(id: id, columns: columns, action: action, actor: actor) else { throw Self.notFound() }
        return (row, await events.changed([EndUserCache.prefix + id]))
    }

    /// An end-user id: non-empty, at most ``EndUser/maxBytes``.
    static func checkedID(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= EndUser.maxBytes else {
            throw LimitPatch.invalid("user_id", "must be 1 to \(EndUser.maxBytes) bytes of text")
        }
        return id
    }

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such end user.", param: "user_id", code: "end_user_not_found")
    }
}
