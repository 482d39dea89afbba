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

/// `POST /team/new`: the team's own fields; its limits are read from the same body as a ``LimitPatch``.
struct NewTeamRequest: Decodable, Sendable {
    var teamID: String?
    var teamAlias: String?
    var members: [TeamMember]?

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case teamAlias = "team_alias"
        case members = "members_with_roles"
    }
}

/// `POST /team/update`: the team to change and its alias; its limits come from the body's ``LimitPatch``.
struct UpdateTeamRequest: Decodable, Sendable {
    var teamID: String
    var teamAlias: Patch<String>

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case teamAlias = "team_alias"
    }
}

/// `POST /team/block`, `/team/unblock`.
struct TeamReference: Decodable, Sendable {
    var teamID: String

    enum CodingKeys: String, CodingKey { case teamID = "team_id" }
}

/// `POST /team/delete`.
struct DeleteTeamsRequest: Decodable, Sendable {
    var teamIDs: [String]

    enum CodingKeys: String, CodingKey { case teamIDs = "team_ids" }
}

/// `POST /team/member_add`: `member` is one member or a list of them, as LiteLLM accepts.
struct TeamMemberAddRequest: Decodable, Sendable {
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
}

/// `POST /team/member_delete`: the member by user id or email.
struct TeamMemberDeleteRequest: Decodable, Sendable {
    var teamID: String
    var userID: String?
    var userEmail: String?

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case userID = "user_id"
        case userEmail = "user_email"
    }
}
