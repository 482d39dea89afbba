import Dialects
import Foundation
import Hummingbird

/// End users (`/customer/*`, LiteLLM's "customers"), in LiteLLM's paths and shapes; master key only. The
/// actions are ``CustomerAdminService``'s.
struct CustomerAdminRoutes: AdminController {
    let service: CustomerAdminService
    let maxBodyBytes: Int

    var routes: [AdminRoute] {
        [.post("customer/new", create), .get("customer/info", info), .get("customer/list", list), .post("customer/update", update), .post("customer/delete", delete)]
            + AdminRoute.blockPair("customer", setBlocked)
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (row, propagation) = try await service.create(try await body(CustomerRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(CustomerView(row: row), propagation: propagation)
    }

    /// LiteLLM names the end user `end_user_id` here; `user_id` is accepted too.
    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(CustomerView(row: try await service.info(id: try query(request, "end_user_id", "user_id"))))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.list().map(CustomerView.init))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (row, propagation) = try await service.update(try await body(CustomerRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(CustomerView(row: row), propagation: propagation)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (answer, propagation) = try await service.delete(try await body(CustomerIDsRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(answer, propagation: propagation)
    }

    @Sendable func setBlocked(_ blocked: Bool, _ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (answer, propagation) = try await service.setBlocked(blocked, try await body(CustomerIDsRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(answer, propagation: propagation)
    }
}
