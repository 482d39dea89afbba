import Dialects
import Foundation

// The request bodies of `/team/*`, in LiteLLM's field names.

/// One member of a team: a user (by id, or by email for a user made on first reference) and a role.
struct TeamMember: Codable, Sendable, Equatable {
    var userID: String?
    var userEmail: String?
    /// `admin` or `user` (the default).
    var role: String?

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case userEmail = "user_email"
        case role
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(userID, forKey: .userID)
        try container.encode(userEmail, forKey: .userEmail)
        try container.encode(role ?? "user", forKey: .role)
    }
}

/// `POST /team/new`: the team's own fields and its limits (a ``LimitPatch`` read from the same body).
struct NewTeamRequest: AdminRequest {
    var teamID: String?
    var teamAlias: String?
    var members: [TeamMember]?
    var limits: LimitPatch

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case teamAlias = "team_alias"
        case members = "members_with_roles"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        teamID = try c.decodeIfPresent(String.self, forKey: .teamID)
        teamAlias = try c.decodeIfPresent(String.self, forKey: .teamAlias)
        members = try c.decodeIfPresent([TeamMember].self, forKey: .members)
        limits = try LimitPatch(from: decoder)
    }

    func validate() throws {
        if let teamID { _ = try TeamAdminService.checkedID(teamID) }
        if teamAlias?.isEmpty == true { throw LimitPatch.invalid("team_alias", "must not be empty") }
        _ = try TeamAdminService.checked(members ?? [], field: "members_with_roles")
        try limits.validate()
    }
}

/// `POST /team/update`: the team to change, its alias, and its limits (a ``LimitPatch`` from the same body).
struct UpdateTeamRequest: AdminRequest {
    var teamID: String
    var teamAlias: Patch<String>
    var limits: LimitPatch

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case teamAlias = "team_alias"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        teamID = try c.decode(String.self, forKey: .teamID)
        teamAlias = try c.decode(Patch<String>.self, forKey: .teamAlias)
        limits = try LimitPatch(from: decoder)
    }

    func validate() throws {
        if teamAlias.value?.isEmpty == true { throw LimitPatch.invalid("team_alias", "must not be empty") }
        try limits.validate()
    }
}

/// `POST /team/block`, `/team/unblock`.
struct TeamReference: AdminRequest {
    var teamID: String

    enum CodingKeys: String, CodingKey { case teamID = "team_id" }
}

/// `POST /team/delete`.
struct DeleteTeamsRequest: AdminRequest {
    var teamIDs: [String]

    enum CodingKeys: String, CodingKey { case teamIDs = "team_ids" }

    func validate() throws {
        guard !teamIDs.isEmpty else { throw GatewayError(.invalidRequest, "Name the teams to delete in 'team_ids'.", param: "team_ids") }
    }
}

/// `POST /team/member_add`: `member` is one member or a list of them, as LiteLLM accepts.
struct TeamMemberAddRequest: AdminRequest {
    var teamID: String
    var members: [TeamMember]

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case member
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        teamID = try container.decode(String.self, forKey: .teamID)
        if let list = try? container.decode([TeamMember].self, forKey: .member) {
            members = list
        } else {
            members = [try container.decode(TeamMember.self, forKey: .member)]
        }
    }

    func validate() throws {
        _ = try TeamAdminService.checked(members, field: "member")
        guard !members.isEmpty else { throw GatewayError(.invalidRequest, "Name at least one member in 'member'.", param: "member") }
    }
}

/// `POST /team/member_delete`: the member by user id or email.
struct TeamMemberDeleteRequest: AdminRequest {
    var teamID: String
    var userID: String?
    var userEmail: String?

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case userID = "user_id"
        case userEmail = "user_email"
    }

    func validate() throws {
        guard userID?.isEmpty == false || userEmail?.isEmpty == false else {
            throw GatewayError(.invalidRequest, "Name the member to remove by 'user_id' or 'user_email'.", param: "user_id")
        }
    }
}
