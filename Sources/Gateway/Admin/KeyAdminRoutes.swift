import Dialects
import Foundation
import Hummingbird
import Postgres

/// The key-management API (`/key/*`), following LiteLLM's paths, fields and shapes so admin scripts
/// written for LiteLLM work unchanged. Master key only. Each handler reads its body and answers;
/// the actions themselves are ``KeyAdminService``'s, which the dashboard calls too.
struct KeyAdminRoutes: Sendable {
    let store: KeyStore
    let events: KeyEvents
    let catalog: ModelCatalog
    let maxBodyBytes: Int

    var service: KeyAdminService { KeyAdminService(store: store, events: events, catalog: catalog) }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("key/generate", use: generate)
        group.get("key/info", use: info)
        group.get("key/list", use: list)
        group.post("key/update", use: update)
        group.post("key/delete", use: delete)
        group.post("key/regenerate", use: regenerate)
        group.post("key/:key/regenerate", use: regenerate)
        group.post("key/block", use: block)
        group.post("key/unblock", use: unblock)
    }

    // MARK: Handlers

    @Sendable func generate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let generated = try await service.generate(fields, actor: Self.actor(context))
        return AdminResponse.json(AdminResponse.key(generated.row, secret: generated.secret))
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let reference = request.uri.queryParameters["key"].map(String.init) else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'key'.", param: "key")
        }
        let row = try await service.info(reference: reference)
        return AdminResponse.json(["key": row["key_hash"] ?? NSNull(), "info": AdminResponse.key(row)])
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let paging = try Paging(request)
        let query = request.uri.queryParameters
        var filters: [(column: String, value: String)] = []
        if let user = query["user_id"] { filters.append(("user_id", String(user))) }
        if let alias = query["key_alias"] { filters.append(("alias", String(alias))) }
        if let team = query["team_id"] { filters.append(("team_id", String(team))) }
        let (rows, total) = try await store.page(of: .keys, filters: filters, page: paging.page, size: paging.size)
        let full = query["return_full_object"].map { $0 == "true" } ?? false
        return AdminResponse.json([
            "keys": rows.map { full ? AdminResponse.key($0) : ($0["key_hash"] ?? NSNull()) },
            "total_count": total,
            "current_page": paging.page,
            "total_pages": paging.totalPages(total),
        ])
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let change = try await service.update(fields, actor: Self.actor(context))
        return AdminResponse.json(AdminResponse.key(change.row), propagation: change.propagation)
    }

    @Sendable func block(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await setBlocked(true, request: request, context: context)
    }

    @Sendable func unblock(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await setBlocked(false, request: request, context: context)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let result = try await service.delete(fields, actor: Self.actor(context))
        return AdminResponse.json(["deleted_keys": result.deleted], propagation: result.propagation)
    }

    @Sendable func regenerate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let bodyReference = try fields.string("key")
        guard let reference = context.parameters.get("key") ?? bodyReference else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'key'.", param: "key")
        }
        let result = try await service.regenerate(reference: reference, fields: fields, actor: Self.actor(context))
        return AdminResponse.json(AdminResponse.key(result.change.row, secret: result.secret), propagation: result.change.propagation)
    }

    private func setBlocked(_ blocked: Bool, request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminBody.read(request, limit: maxBodyBytes)
        let change = try await service.setBlocked(blocked, fields, actor: Self.actor(context))
        return AdminResponse.json(AdminResponse.key(change.row), propagation: change.propagation)
    }

    /// Who the audit log names for a change: the caller's key id (`master` for the master key).
    static func actor(_ context: GatewayRequestContext) -> String { context.identity?.keyID ?? "master" }

    static func hash(naming reference: String) throws -> String { try KeyAdminService.hash(naming: reference) }
}
