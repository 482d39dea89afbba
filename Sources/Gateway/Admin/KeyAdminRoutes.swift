import Dialects
import Foundation
import Hummingbird

/// The key-management API (`/key/*`), following LiteLLM's paths, fields and shapes so admin scripts
/// written for LiteLLM work unchanged. Master key only. Each handler reads its typed body and answers;
/// the actions are ``KeyAdminService``'s, which the dashboard calls too.
struct KeyAdminRoutes: AdminController {
    let service: KeyAdminService
    let maxBodyBytes: Int

    var routes: [AdminRoute] {
        [
            .post("key/generate", generate), .get("key/info", info), .get("key/list", list), .post("key/update", update),
            .post("key/delete", delete), .post("key/regenerate", regenerate), .post("key/:key/regenerate", regenerate),
        ] + AdminRoute.blockPair("key", setBlocked)
    }

    @Sendable func generate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let generated = try await service.generate(try await body(KeyRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(KeyView(row: generated.row, secret: generated.secret))
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // An empty `key` is a 400 from hash(naming:), as before; only an absent one is "missing".
        guard let reference = request.uri.queryParameters["key"].map(String.init) else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'key'.", param: "key")
        }
        let row = try await service.info(reference: reference)
        return try AdminJSON.response(KeyInfoResponse(key: row.keyHash, info: KeyView(row: row)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let paging = try Paging(request)
        let query = request.uri.queryParameters
        var filters: [(column: String, value: String)] = []
        if let user = query["user_id"] { filters.append(("user_id", String(user))) }
        if let alias = query["key_alias"] { filters.append(("alias", String(alias))) }
        if let team = query["team_id"] { filters.append(("team_id", String(team))) }
        let (rows, total) = try await service.list(filters: filters, paging: paging)
        let full = query["return_full_object"].map { $0 == "true" } ?? false
        return try AdminJSON.response(KeyListResponse(keys: rows.map { KeyView(row: $0) }, full: full, total: total, paging: paging))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let change = try await service.update(try await body(KeyRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(KeyView(row: change.row), propagation: change.propagation)
    }

    @Sendable func setBlocked(_ blocked: Bool, _ request: Request, context: GatewayRequestContext) async throws -> Response {
        let change = try await service.setBlocked(blocked, try await body(KeyRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(KeyView(row: change.row), propagation: change.propagation)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let result = try await service.delete(try await body(DeleteKeysRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(DeleteKeysResponse(deletedKeys: result.deleted), propagation: result.propagation)
    }

    @Sendable func regenerate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await body(KeyRequest.self, request)
        guard let reference = context.parameters.get("key") ?? fields.key else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'key'.", param: "key")
        }
        let result = try await service.regenerate(reference: reference, fields, actor: context.adminActor)
        return try AdminJSON.response(KeyView(row: result.change.row, secret: result.secret), propagation: result.change.propagation)
    }
}
