import Dialects
import Foundation

/// The user-management actions (`/user/*` and the dashboard's Users page): users own keys and may have
/// limits and a budget spanning all their keys. The statements are ``UserStore``'s.
struct UserAdminService: Sendable {
    let store: UserStore
    let keys: KeyAdminService
    let events: KeyEvents

    /// Creates a user and, as LiteLLM does unless `auto_create_key` is false, a first key for it.
    func create(_ request: UserRequest, actor: String) async throws -> UserNewResponse {
        try await request.limits.checkModels(known)
        let id = request.userID ?? UUID().uuidString.lowercased()
        let row = try await store.create(id: id, columns: request.columns, actor: actor)
        var answer = UserNewResponse(user: UserView(row: row))
        if request.autoCreateKey ?? true {
            var key = KeyRequest()
            key.userID = .value(id)
            answer.key = try await keys.generate(key, actor: actor)
        }
        return answer
    }

    /// The user `id` and its keys (the newest 100).
    func info(id: String) async throws -> UserInfoResponse {
        guard let row = try await store.user(id: id) else { throw Self.notFound() }
        let (keys, _) = try await keys.list(filters: [("user_id", id)], paging: Paging(page: 1, size: 100))
        return UserInfoResponse(userID: id, userInfo: UserView(row: row), keys: keys.map { KeyView(row: $0) })
    }

    func list(_ paging: Paging) async throws -> UserListResponse {
        let (rows, total) = try await store.page(paging.page, size: paging.size)
        return UserListResponse(users: rows.map(UserView.init), total: total, paging: paging)
    }

    /// Changes the fields present in `request` of the user its `user_id` names.
    func update(_ request: UserRequest, actor: String) async throws -> (user: UserRow, propagation: KeyPropagation) {
        let id = try request.requiredID()
        try await request.limits.checkModels(known)
        guard let row = try await store.update(id: id, columns: request.columns, actor: actor) else { throw Self.notFound() }
        // A user's models and limits restrict all its keys: every gateway re-reads them.
        return (row, await events.changed([KeyCache.everything]))
    }

    /// Deletes users and every key they own.
    func delete(_ request: DeleteUsersRequest, actor: String) async throws -> (DeleteUsersResponse, KeyPropagation) {
        var deleted: [String] = []
        var keyHashes: [String] = []
        for id in request.userIDs ?? [] {
            guard let hashes = try await store.delete(id: id, actor: actor) else { continue }
            deleted.append(id)
            keyHashes += hashes
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        let propagation = await events.changed(keyHashes)
        return (DeleteUsersResponse(deletedUsers: deleted, deletedKeys: keyHashes.count), propagation)
    }

    private func known(_ model: String) async -> Bool { await keys.catalog.resolve(model) != nil }

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such user.", param: "user_id", code: "user_not_found")
    }
}
