import Dialects
import Foundation
import Postgres

/// The team actions (`/team/*` and the dashboard's Teams page). The statements are ``TeamStore``'s.
///
/// A team has models (narrowing every key of it), rate limits and a budget spanning all its keys, metadata,
/// members with roles, and a block. Every change is audited; a change that affects admission (limits,
/// models, block, delete) publishes `team:<id>` on the key-change channel, so every gateway drops the cached
/// keys of that team at once (``KeyCache/teamPrefix``), with the same Redis-restart guarantees as a key's block.
struct TeamAdminService: Sendable {
    let store: TeamStore
    let events: KeyEvents
    let catalog: ModelCatalog
    /// The clock budget periods are read with (tests move it), as admission's.
    let now: @Sendable () -> Date

    func create(_ request: NewTeamRequest, actor: String) async throws -> TeamView {
        try await request.limits.checkModels(known)
        let id = try Self.checkedID(request.teamID ?? UUID().uuidString.lowercased())
        let members = try Self.checked(request.members ?? [], field: "members_with_roles")
        return try await store.create(id: id, alias: request.teamAlias, columns: request.limits.columns, members: members, actor: actor)
    }

    /// Team `id`, its keys, memberships and the spend of its current budget period.
    func info(id: String) async throws -> TeamInfoResponse {
        guard let team = try await store.team(id: id) else { throw Self.notFound() }
        let keys = try await store.keys(ofTeam: id)
        return TeamInfoResponse(
            teamID: id, teamInfo: team, keys: keys.map { TeamKeyView(row: $0, teamID: id) },
            teamMemberships: team.members.compactMap { member in
                member.userID.map { .init(teamID: id, userID: $0, role: member.role ?? "user") }
            },
            currentPeriod: try await period(of: team)
        )
    }

    /// The spend of `team`'s current budget period, for a team with a `budget_duration`.
    func period(of team: TeamView) async throws -> TeamPeriodView? {
        guard let duration = team.row.limits.budgetDuration, let anchor = PostgresTime.date(team.row.limits.createdAt),
            let window = BudgetWindow.window(duration: duration, anchor: anchor, now: now())
        else { return nil }
        let spend = try await store.spend(ofTeam: team.row.teamID, since: window.start)
        let format = ISO8601DateFormatter()
        return TeamPeriodView(start: format.string(from: window.start), end: format.string(from: window.end), spend: Double(spend) / 1_000_000, spendMicros: spend)
    }

    /// Teams newest first, optionally only those `userID` belongs to.
    func list(userID: String?) async throws -> [TeamView] {
        try await store.list(userID: userID)
    }

    func update(_ request: UpdateTeamRequest, actor: String) async throws -> (TeamView, KeyPropagation) {
        try await request.limits.checkModels(known)
        var columns = request.limits.columns
        if !request.teamAlias.isAbsent { columns.set("team_alias", PostgresValue(request.teamAlias.value)) }
        return try await change(request.teamID, columns: columns, action: "team.update", actor: actor)
    }

    /// Blocks or unblocks team `id`: every key of it is refused (or admitted again) on every gateway.
    func setBlocked(_ blocked: Bool, id: String, actor: String) async throws -> (TeamView, KeyPropagation) {
        var columns = ColumnValues()
        columns.set("blocked", PostgresValue(blocked))
        return try await change(id, columns: columns, action: blocked ? "team.block" : "team.unblock", actor: actor)
    }

    /// Deletes teams and every key of them.
    func delete(_ request: DeleteTeamsRequest, actor: String) async throws -> (TeamDeleteResponse, KeyPropagation) {
        var deleted: [String] = []
        var notices: [String] = []
        for id in request.teamIDs {
            guard let hashes = try await store.delete(id: id, actor: actor) else { continue }
            deleted.append(id)
            notices += hashes + [KeyCache.teamPrefix + id]
        }
        guard !deleted.isEmpty else { throw Self.notFound() }
        let propagation = await events.changed(notices)
        return (TeamDeleteResponse(deletedTeams: deleted, deletedKeys: notices.count - deleted.count), propagation)
    }

    func addMembers(_ request: TeamMemberAddRequest, actor: String) async throws -> TeamMemberAddResponse {
        let members = try Self.checked(request.members, field: "member")
        guard try await store.addMembers(members, to: request.teamID, actor: actor), let team = try await store.team(id: request.teamID) else {
            throw Self.notFound()
        }
        let added = team.members.filter { member in
            members.contains { ($0.userID != nil && $0.userID == member.userID) || ($0.userID == nil && $0.userEmail == member.userEmail) }
        }
        return TeamMemberAddResponse(team: team, updatedUsers: added)
    }

    func removeMember(_ request: TeamMemberDeleteRequest, actor: String) async throws -> TeamView {
        guard try await store.team(id: request.teamID) != nil else { throw Self.notFound() }
        guard try await store.removeMember(userID: request.userID, email: request.userEmail, from: request.teamID, actor: actor),
            let team = try await store.team(id: request.teamID)
        else {
            throw GatewayError(.notFound, "This user is not a member of the team.", param: "user_id", code: "team_member_not_found")
        }
        return team
    }

    // MARK: Shared steps

    private func known(_ model: String) async -> Bool { await catalog.resolve(model) != nil }

    /// Updates team `id`, audits it, and tells every gateway to drop the team's cached keys.
    private func change(_ id: String, columns: ColumnValues, action: String, actor: String) async throws -> (TeamView, KeyPropagation) {
        guard let team = try await store.update(id: id, columns: columns, action: action, actor: actor) else { throw Self.notFound() }
        return (team, await events.changed([KeyCache.teamPrefix + id]))
    }

    /// Members as given, each with a user id or email and a known role (400 otherwise), at most
    /// ``TeamStore/maxMembersPerCall``; an empty user id counts as none.
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

    static func notFound() -> GatewayError {
        GatewayError(.notFound, "No such team.", param: "team_id", code: "team_not_found")
    }
}
