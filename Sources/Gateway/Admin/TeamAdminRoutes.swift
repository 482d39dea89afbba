import Dialects
import Foundation
import Hummingbird
import Postgres

/// Teams (`/team/*`), in LiteLLM's paths and shapes; master key only.
///
/// A team has models (narrowing every key of it), rate limits and a budget spanning all its keys, metadata,
/// members with roles, and a block. Every change is audited; a change that affects admission (limits,
/// models, block, delete) publishes `team:<id>` on the key-change channel, so every gateway drops the cached
/// keys of that team at once (``KeyCache/teamPrefix``), with the same Redis-restart guarantees as a key's block.
struct TeamAdminRoutes: Sendable {
    let store: TeamStore
    let events: KeyEvents
    let catalog: ModelCatalog
    let maxBodyBytes: Int
    /// The clock budget periods are read with (tests move it), as admission's.
    var now: @Sendable () -> Date = { Date() }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("team/new", use: create)
        group.get("team/info", use: info)
        group.get("team/list", use: list)
        group.post("team/update", use: update)
        group.post("team/delete", use: delete)
        group.post("team/member_add", use: addMember)
        group.post("team/member_delete", use: deleteMember)
        group.post("team/block", use: block)
        group.post("team/unblock", use: unblock)
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(of: request, limit: maxBodyBytes)
        let fields = try AdminJSON.decode(NewTeamRequest.self, from: body)
        let limits = try AdminJSON.decode(LimitPatch.self, from: body)
        let id = try Self.checkedID(fields.teamID ?? UUID().uuidString.lowercased())
        if let alias = fields.teamAlias, alias.isEmpty { throw LimitPatch.invalid("team_alias", "must not be empty") }
        let members = try Self.checked(fields.members ?? [], field: "members_with_roles")
        let columns = try await limits.columns { await catalog.resolve($0) != nil }
        let team = try await store.create(id: id, alias: fields.teamAlias, columns: columns, members: members, actor: Self.actor(context))
        return try AdminJSON.response(team)
    }

    @Sendable func info(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let id = request.uri.queryParameters["team_id"].map(String.init), !id.isEmpty else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'team_id'.", param: "team_id")
        }
        guard let team = try await store.team(id: id) else { throw Self.notFound() }
        let keys = try await store.keys(ofTeam: id)
        var period: TeamPeriodView?
        if let duration = team.row.budgetDuration, let anchor = PostgresTime.date(team.row.createdAt),
            let window = BudgetWindow.window(duration: duration, anchor: anchor, now: now())
        {
            let spend = try await store.spend(ofTeam: id, since: window.start)
            let format = ISO8601DateFormatter()
            period = TeamPeriodView(
                start: format.string(from: window.start), end: format.string(from: window.end), spend: Double(spend) / 1_000_000, spendMicros: spend
            )
        }
        return try AdminJSON.response(
            TeamInfoResponse(
                teamID: id, teamInfo: team, keys: keys.map { TeamKeyView(row: $0, teamID: id) },
                teamMemberships: team.members.compactMap { member in
                    member.userID.map { .init(teamID: id, userID: $0, role: member.role ?? "user") }
                },
                currentPeriod: period
            )
        )
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let user = request.uri.queryParameters["user_id"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        return try AdminJSON.response(try await store.list(userID: user))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await AdminJSON.body(of: request, limit: maxBodyBytes)
        let fields = try AdminJSON.decode(UpdateTeamRequest.self, from: body)
        var columns = try await AdminJSON.decode(LimitPatch.self, from: body).columns { await catalog.resolve($0) != nil }
        if !fields.teamAlias.isAbsent {
            if fields.teamAlias.value?.isEmpty == true { throw LimitPatch.invalid("team_alias", "must not be empty") }
            columns.set("team_alias", PostgresValue(fields.teamAlias.value))
        }
        let (team, propagation) = try await change(fields.teamID, columns: columns, action: "team.update", context: context)
        return try AdminJSON.response(TeamUpdateResponse(teamID: team.row.teamID, data: team), propagation: propagation)
    }

    @Sendable func block(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await setBlocked(true, request: request, context: context)
    }

    @Sendable func unblock(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await setBlocked(false, request: request, context: context)
    }

    /// Deletes teams and every key of them.
    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(DeleteTeamsRequest.self, from: request, limit: maxBodyBytes)
        guard !fields.teamIDs.isEmpty else {
            throw GatewayError(.invalidRequest, "Name the teams to delete in 'team_ids'.", param: "team_ids")
        }
        var deleted: [String] = []
        var notices: [String] = []
        for id in fields.teamIDs {
            guard let hashes = try await store.delete(id: id, actor: Self.actor(context)) else { continue }
            deleted.append(id)
            notices += hashes + [KeyCache.teamPrefix + id]
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        let propagation = await events.changed(notices)
        return try AdminJSON.response(TeamDeleteResponse(deletedTeams: deleted, deletedKeys: notices.count - deleted.count), propagation: propagation)
    }

    @Sendable func addMember(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(TeamMemberAddRequest.self, from: request, limit: maxBodyBytes)
        let members = try Self.checked(fields.members, field: "member")
        guard !members.isEmpty else { throw GatewayError(.invalidRequest, "Name at least one member in 'member'.", param: "member") }
        guard try await store.addMembers(members, to: fields.teamID, actor: Self.actor(context)),
            let team = try await store.team(id: fields.teamID)
        else { throw Self.notFound() }
        let added = team.members.filter { member in
            members.contains { ($0.userID != nil && $0.userID == member.userID) || ($0.userID == nil && $0.userEmail == member.userEmail) }
        }
        return try AdminJSON.response(TeamMemberAddResponse(team: team, updatedUsers: added))
    }

    @Sendable func deleteMember(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(TeamMemberDeleteRequest.self, from: request, limit: maxBodyBytes)
        guard fields.userID?.isEmpty == false || fields.userEmail?.isEmpty == false else {
            throw GatewayError(.invalidRequest, "Name the member to remove by 'user_id' or 'user_email'.", param: "user_id")
        }
        guard try await store.team(id: fields.teamID) != nil else { throw Self.notFound() }
        guard try await store.removeMember(userID: fields.userID, email: fields.userEmail, from: fields.teamID, actor: Self.actor(context)),
            let team = try await store.team(id: fields.teamID)
        else {
            throw GatewayError(.notFound, "This user is not a member of the team.", param: "user_id", code: "team_member_not_found")
        }
        return try AdminJSON.response(team)
    }

    // MARK: Shared steps

    private func setBlocked(_ blocked: Bool, request: Request, context: GatewayRequestContext) async throws -> Response {
        let fields = try await AdminJSON.decode(TeamReference.self, from: request, limit: maxBodyBytes)
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        let (team, propagation) = try await change(fields.teamID, columns: columns, action: blocked ? "team.block" : "team.unblock", context: context)
        return try AdminJSON.response(team, propagation: propagation)
    }

    /// Updates team `id`, audits it, and tells every gateway to drop the team's cached keys.
    private func change(
        _ id: String, columns: ColumnValues, action: String, context: GatewayRequestContext
    ) async throws -> (TeamView, KeyPropagation) {
        guard let team = try await store.update(id: id, columns: columns, action: action, actor: Self.actor(context)) else { throw Self.notFound() }
        return (team, await events.changed([KeyCache.teamPrefix + id]))
    }

    /// Members as given, each with a user id or email and a known role (400 otherwise), at most
    /// ``TeamStore/maxMembersPerCall``.
    static func checked(_ members: [TeamMember], field: String) throws -> [TeamMember] {
        guard members.count <= TeamStore.maxMembersPerCall else {
            throw LimitPatch.invalid(field, "must list at most \(TeamStore.maxMembersPerCall) members")
        }
        for (index, member) in members.enumerated() {
            guard member.userID?.isEmpty == false || member.userEmail?.isEmpty == false else {
                throw LimitPatch.invalid("\(field)[\(index)]", "must name a 'user_id' or a 'user_email'")
            }
            guard member.role == nil || member.role == "admin" || member.role == "user" else {
                throw LimitPatch.invalid("\(field)[\(index)].role", "must be admin or user")
            }
        }
        return members.map { member in
            var member = member
            if member.userID?.isEmpty == true { member.userID = nil }
            return member
        }
    }

    /// A team id: non-empty, at most 256 bytes.
    static func checkedID(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= 256 else { throw LimitPatch.invalid("team_id", "must be 1 to 256 bytes of text") }
        return id
    }

    static func actor(_ context: GatewayRequestContext) -> String { context.identity?.keyID ?? "master" }

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such team.", param: "team_id", code: "team_not_found")
    }
}
