import Dialects
import Foundation
import Hummingbird

/// Users who own keys (`/user/*`), each with optional limits and a budget spanning all their keys.
/// LiteLLM's paths and shapes; master key only. The actions are ``UserAdminService``'s.
struct UserAdminRoutes: AdminController {
    let service: UserAdminService
    let maxBodyBytes: Int

    var routes: [AdminRoute] {
        [.post("user/new", create), .get("user/info", info), .get("user/list", list), .post("user/update", update), .post("user/delete", delete)]
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.create(try await body(UserRequest.self, request), actor: context.adminActor))
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let id = request.uri.queryParameters["user_id"].map(String.init) else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'user_id'.", param: "user_id")
        }
        return try AdminJSON.response(try await service.info(id: id))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.list(try Paging(request, sizeName: "page_size")))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (row, propagation) = try await service.update(try await body(UserRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(UserView(row: row), propagation: propagation)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (answer, propagation) = try await service.delete(try await body(DeleteUsersRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(answer, propagation: propagation)
    }
}
