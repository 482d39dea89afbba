import Dialects
import Foundation
import Hummingbird

/// Teams (`/team/*`), in LiteLLM's paths and shapes; master key only. The actions are
/// ``TeamAdminService``'s, which the dashboard's Teams page calls too.
struct TeamAdminRoutes: AdminController {
    let service: TeamAdminService
    let maxBodyBytes: Int

    var routes: [AdminRoute] {
        [
            .post("team/new", create), .get("team/info", info), .get("team/list", list), .post("team/update", update),
            .post("team/delete", delete), .post("team/member_add", addMember), .post("team/member_delete", deleteMember),
        ] + AdminRoute.blockPair("team", setBlocked)
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.create(try await body(NewTeamRequest.self, request), actor: context.adminActor))
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.info(id: try query(request, "team_id")))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let user = request.uri.queryParameters["user_id"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        return try AdminJSON.response(try await service.list(userID: user))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (team, propagation) = try await service.update(try await body(UpdateTeamRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(TeamUpdateResponse(teamID: team.row.teamID, data: team), propagation: propagation)
    }

    @Sendable func setBlocked(_ blocked: Bool, _ request: Request, context: GatewayRequestContext) async throws -> Response {
        let reference = try await body(TeamReference.self, request)
        let (team, propagation) = try await service.setBlocked(blocked, id: reference.teamID, actor: context.adminActor)
        return try AdminJSON.response(team, propagation: propagation)
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (answer, propagation) = try await service.delete(try await body(DeleteTeamsRequest.self, request), actor: context.adminActor)
        return try AdminJSON.response(answer, propagation: propagation)
    }

    @Sendable func addMember(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.addMembers(try await body(TeamMemberAddRequest.self, request), actor: context.adminActor))
    }

    @Sendable func deleteMember(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try AdminJSON.response(try await service.removeMember(try await body(TeamMemberDeleteRequest.self, request), actor: context.adminActor))
    }
}
