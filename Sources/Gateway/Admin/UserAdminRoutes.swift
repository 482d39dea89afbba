import Dialects
import Foundation
import Hummingbird
import Postgres

/// Users who own keys (`/user/*`), each with optional limits and a budget spanning all their keys.
/// LiteLLM's paths and shapes; master key only.
struct UserAdminRoutes: Sendable {
    let store: KeyStore
    let events: KeyEvents
    let catalog: ModelCatalog
    let keys: KeyAdminRoutes
    let maxBodyBytes: Int

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("user/new", use: create)
        group.get("user/info", use: info)
        group.get("user/list", use: list)
        group.post("user/update", use: update)
        group.post("user/delete", use: delete)
    }

    /// Creates a user and, as LiteLLM does unless `auto_create_key` is false, a first key for it.
    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let userID = try fields.string("user_id") ?? UUID().uuidString.lowercased()
        var columns = ColumnValues()
        columns.set("user_id", .text(userID))
        try await readUserFields(fields, into: &columns)
        let insert = columns
        let entry: AuditEntry?
        do {
            entry = try await store.change(actor: context.identity?.keyID ?? "master") { connection in
                let row = try connection.query(
                    "INSERT INTO users (\(insert.columns)) VALUES (\(insert.placeholders(from: 1))) RETURNING row_to_json(users)::text AS row",
                    insert.values
                )
                return AuditEntry(action: "user.new", targetType: "user", targetID: userID, before: nil, after: returnedRow(row))
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw GatewayError(.conflict, "A user with this 'user_id' already exists.", param: "user_id", code: "duplicate_user_id")
        }
        var view = AdminResponse.user(entry?.after.flatMap { JSONText.decode($0) as? [String: Any] } ?? [:])
        if try fields.bool("auto_create_key") ?? true {
            let keyFields = AdminFields(object: ["user_id": userID])
            let generated = try await keys.service.generate(keyFields, actor: context.identity?.keyID ?? "master")
            view["key"] = generated.secret
            view["token"] = generated.row["key_hash"] ?? NSNull()
            view["key_name"] = generated.row["display"] ?? NSNull()
        }
        return AdminResponse.json(view)
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let userID = request.uri.queryParameters["user_id"].map(String.init) else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'user_id'.", param: "user_id")
        }
        guard let row = try await store.userRow(id: userID) else { throw Self.notFound() }
        let (keys, _) = try await store.page(of: .keys, filters: [("user_id", userID)], page: 1, size: 100)
        return AdminResponse.json(["user_id": userID, "user_info": AdminResponse.user(row), "keys": keys.map { AdminResponse.key($0) }])
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let paging = try Paging(request, sizeName: "page_size")
        let (rows, total) = try await store.page(of: .users, filters: [], page: paging.page, size: paging.size)
        return AdminResponse.json([
            "users": rows.map(AdminResponse.user), "total": total, "page": paging.page, "page_size": paging.size,
            "total_pages": paging.totalPages(total),
        ])
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let userID = try fields.requiredString("user_id")
        var columns = ColumnValues()
        try await readUserFields(fields, into: &columns)
        columns.set("updated_at", .init(Date()))
        let change = columns
        let entry = try await store.change(actor: context.identity?.keyID ?? "master") { connection in
            let before = try connection.query("SELECT row_to_json(u)::text AS row FROM users u WHERE user_id = $1 FOR UPDATE", [.text(userID)])
            guard let beforeRow = returnedRow(before) else { return nil }
            let after = try connection.query(
                "UPDATE users SET \(change.assignments(from: 2)) WHERE user_id = $1 RETURNING row_to_json(users)::text AS row",
                [.text(userID)] + change.values
            )
            return AuditEntry(action: "user.update", targetType: "user", targetID: userID, before: beforeRow, after: returnedRow(after))
        }
        guard let entry else { throw Self.notFound() }
        // A user's models restrict all its keys: every gateway re-reads them.
        let propagation = await events.changed([KeyCache.everything])
        return AdminResponse.json(AdminResponse.user(entry.after.flatMap { JSONText.decode($0) as? [String: Any] } ?? [:]), propagation: propagation)
    }

    /// Deletes users and every key they own.
    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        guard let userIDs = try fields.strings("user_ids"), !userIDs.isEmpty else {
            throw GatewayError(.invalidRequest, "Name the users to delete in 'user_ids'.", param: "user_ids")
        }
        var deleted: [String] = []
        var keyHashes: [String] = []
        for userID in userIDs {
            let result = try await store.change(actor: context.identity?.keyID ?? "master") { connection in
                let keys = try connection.query("DELETE FROM api_keys WHERE user_id = $1 RETURNING key_hash", [.text(userID)])
                let row = try connection.query("DELETE FROM users u WHERE user_id = $1 RETURNING row_to_json(u)::text AS row", [.text(userID)])
                guard let before = returnedRow(row) else { return nil }
                let hashes = keys.rows.compactMap { $0[0] }
                return AuditEntry(
                    action: "user.delete", targetType: "user", targetID: userID, before: before,
                    after: JSONText.encode(["deleted_keys": hashes])
                )
            }
            guard let result else { continue }
            deleted.append(userID)
            keyHashes += (result.after.flatMap { JSONText.decode($0) as? [String: Any] }?["deleted_keys"] as? [String]) ?? []
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        let propagation = await events.changed(keyHashes)
        return AdminResponse.json(["deleted_users": deleted, "deleted_keys": keyHashes.count], propagation: propagation)
    }

    private func readUserFields(_ fields: AdminFields, into columns: inout ColumnValues) async throws {
        if fields.isPresent("user_alias") { columns.set("user_alias", PostgresValue(try fields.string("user_alias"))) }
        if fields.isPresent("user_email") { columns.set("user_email", PostgresValue(try fields.string("user_email"))) }
        try await LimitFields.read(fields, into: &columns) { await catalog.resolve($0) != nil }
    }

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such user.", param: "user_id", code: "user_not_found")
    }
}
