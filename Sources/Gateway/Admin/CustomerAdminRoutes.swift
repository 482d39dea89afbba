import Dialects
import Foundation
import Hummingbird
import Postgres

/// End users (`/customer/*`, LiteLLM's "customers"): optional rpm/tpm/parallel limits, a budget and a block
/// for the person behind a request (``EndUser``), checked in the same admission as the key's. Master key only.
///
/// Each change is audited and publishes `end_user:<id>` on the key-change channel, so every gateway drops its
/// cached settings for that end user at once (``EndUserCache``).
struct CustomerAdminRoutes: Sendable {
    let store: KeyStore
    let events: KeyEvents
    let maxBodyBytes: Int

    /// Most end users one `/customer/list` answer holds (newest first).
    static let listLimit = 1_000

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("customer/new", use: create)
        group.get("customer/info", use: info)
        group.get("customer/list", use: list)
        group.post("customer/update", use: update)
        group.post("customer/delete", use: delete)
        group.post("customer/block") { request, context in try await setBlocked(true, request: request, context: context) }
        group.post("customer/unblock") { request, context in try await setBlocked(false, request: request, context: context) }
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(of: request, limit: maxBodyBytes)
        let fields = try AdminJSON.decode(CustomerRequest.self, from: body)
        let id = try Self.checkedID(fields.userID)
        var columns = try await AdminJSON.decode(LimitPatch.self, from: body).columns()
        columns.set("user_id", .text(id))
        if let alias = fields.alias.value { columns.set("alias", .text(alias)) }
        let insert = columns
        let entry: AuditEntry?
        do {
            entry = try await store.change(actor: TeamAdminRoutes.actor(context)) { connection in
                let row = try connection.query(
                    "INSERT INTO end_users (\(insert.columns)) VALUES (\(insert.placeholders(from: 1))) RETURNING row_to_json(end_users)::text AS row",
                    insert.values
                )
                return AuditEntry(action: "end_user.new", targetType: "end_user", targetID: id, before: nil, after: returnedRow(row))
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw GatewayError(.conflict, "An end user with this 'user_id' already exists.", param: "user_id", code: "duplicate_end_user")
        }
        let propagation = await events.changed([EndUserCache.prefix + id])
        return try AdminJSON.response(CustomerView(row: try Self.row(entry?.after)), propagation: propagation)
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // LiteLLM names the end user `end_user_id` here; `user_id` is accepted too.
        let query = request.uri.queryParameters
        guard let id = (query["end_user_id"] ?? query["user_id"]).map(String.init), !id.isEmpty else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'end_user_id'.", param: "end_user_id")
        }
        let rows = try await store.pool.query("SELECT row_to_json(e)::text AS row FROM end_users e WHERE user_id = $1", [.text(id)])
        guard let text = returnedRow(rows) else { throw Self.notFound() }
        return try AdminJSON.response(CustomerView(row: try Self.row(text)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let rows = try await store.pool.query(
            "SELECT row_to_json(e)::text AS row FROM end_users e ORDER BY created_at DESC LIMIT $1", [PostgresValue(Self.listLimit)]
        )
        return try AdminJSON.response(try rows.rows.compactMap { $0[0] }.map { CustomerView(row: try Self.row($0)) })
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(of: request, limit: maxBodyBytes)
        let fields = try AdminJSON.decode(CustomerRequest.self, from: body)
        var columns = try await AdminJSON.decode(LimitPatch.self, from: body).columns()
        if !fields.alias.isAbsent { columns.set("alias", PostgresValue(fields.alias.value)) }
        let (row, propagation) = try await change(fields.userID, columns: columns, action: "end_user.update", context: context)
        return try AdminJSON.response(CustomerView(row: row), propagation: propagation)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(CustomerIDsRequest.self, from: request, limit: maxBodyBytes)
        guard !fields.userIDs.isEmpty else { throw GatewayError(.invalidRequest, "Name the end users in 'user_ids'.", param: "user_ids") }
        var deleted: [String] = []
        for id in fields.userIDs {
            let entry = try await store.change(actor: TeamAdminRoutes.actor(context)) { connection in
                let row = try connection.query("DELETE FROM end_users e WHERE user_id = $1 RETURNING row_to_json(e)::text AS row", [.text(id)])
                guard let before = returnedRow(row) else { return nil }
                return AuditEntry(action: "end_user.delete", targetType: "end_user", targetID: id, before: before, after: nil)
            }
            if entry != nil { deleted.append(id) }
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        let propagation = await events.changed(deleted.map { EndUserCache.prefix + $0 })
        return try AdminJSON.response(CustomerChangeResponse(userIDs: deleted), propagation: propagation)
    }

    private func setBlocked(_ blocked: Bool, request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(CustomerIDsRequest.self, from: request, limit: maxBodyBytes)
        guard !fields.userIDs.isEmpty else { throw GatewayError(.invalidRequest, "Name the end users in 'user_ids'.", param: "user_ids") }
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        var changed: [String] = []
        var propagation = KeyPropagation.delivered
        for id in fields.userIDs {
            // LiteLLM blocks an end user it has not seen yet by creating it blocked; so do we.
            if blocked { try await ensure(id, context: context) }
            do {
                let (_, delivered) = try await change(id, columns: columns, action: blocked ? "end_user.block" : "end_user.unblock", context: context)
                changed.append(id)
                if delivered == .pending { propagation = .pending }
            } catch let error as GatewayError where error.error.code == Self.notFound().error.code {
                continue  // unblocking an end user that does not exist: nothing to do
            }
        }
        guard !changed.isEmpty else { throw Self.notFound() }
        return try AdminJSON.response(CustomerChangeResponse(userIDs: changed), propagation: propagation)
    }

    /// Makes end user `id` (with no limits) if it does not exist yet.
    private func ensure(_ id: String, context: GatewayRequestContext) async throws {
        let id = try Self.checkedID(id)
        _ = try await store.change(actor: TeamAdminRoutes.actor(context)) { connection in
            let row = try connection.query(
                "INSERT INTO end_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING row_to_json(end_users)::text AS row", [.text(id)]
            )
            guard let after = returnedRow(row) else { return nil }
            return AuditEntry(action: "end_user.new", targetType: "end_user", targetID: id, before: nil, after: after)
        }
    }

    /// Updates end user `id`, audits it, and tells every gateway; 404 when there is no such end user.
    private func change(
        _ id: String, columns: ColumnValues, action: String, context: GatewayRequestContext
    ) async throws -> (CustomerRow, KeyPropagation) {
        var columns = columns
        columns.set("updated_at", .init(Date()))
        let values = columns
        let entry = try await store.change(actor: TeamAdminRoutes.actor(context)) { connection in
            let before = try connection.query("SELECT row_to_json(e)::text AS row FROM end_users e WHERE user_id = $1 FOR UPDATE", [.text(id)])
            guard let beforeRow = returnedRow(before) else { return nil }
            let after = try connection.query(
                "UPDATE end_users SET \(values.assignments(from: 2)) WHERE user_id = $1 RETURNING row_to_json(end_users)::text AS row",
                [.text(id)] + values.values
            )
            return AuditEntry(action: action, targetType: "end_user", targetID: id, before: beforeRow, after: returnedRow(after))
        }
        guard let entry else { throw Self.notFound() }
        return (try Self.row(entry.after), await events.changed([EndUserCache.prefix + id]))
    }

    static func row(_ text: String?) throws -> CustomerRow {
        guard let text else { throw notFound() }
        return try JSONDecoder().decode(CustomerRow.self, from: Data(text.utf8))
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
