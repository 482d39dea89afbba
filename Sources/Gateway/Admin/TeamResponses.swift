import Foundation

// The rows `/team/*` reads and the answers it gives, in LiteLLM's field names.

/// A `teams` row, as `row_to_json` writes it.
struct TeamRow: Decodable, Sendable {
    var teamID: String
    var teamAlias: String?
    var blocked: Bool
    var limits: LimitColumns

    enum CodingKeys: String, CodingKey { case teamID = "team_id", teamAlias = "team_alias", blocked }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        teamID = try c.decode(String.self, forKey: .teamID)
        teamAlias = try c.decodeIfPresent(String.self, forKey: .teamAlias)
        blocked = try c.decodeIfPresent(Bool.self, forKey: .blocked) ?? false
        limits = try LimitColumns(from: decoder)
    }
}

/// A team as the admin API answers it (LiteLLM's team object): spend and budget in dollars, members with roles.
struct TeamView: Encodable, Sendable {
    var row: TeamRow
    var members: [TeamMember]

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id", teamAlias = "team_alias", blocked
        case members = "members_with_roles", admins, memberIDs = "members"
    }

    func encode(to encoder: any Encoder) throws {
        try row.limits.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.teamID, forKey: .teamID)
        try c.encode(row.teamAlias, forKey: .teamAlias)
        try c.encode(row.blocked, forKey: .blocked)
        try c.encode(members, forKey: .members)
        try c.encode(members.filter { $0.role == "admin" }.compactMap(\.userID), forKey: .admins)
        try c.encode(members.compactMap(\.userID), forKey: .memberIDs)
    }
}

/// A key of a team, as `/team/info` lists it (by hash, never the secret).
struct TeamKeyView: Encodable, Sendable {
    var row: KeyRow
    var teamID: String

    enum CodingKeys: String, CodingKey {
        case token, keyName = "key_name", keyAlias = "key_alias", userID = "user_id", teamID = "team_id"
        case spend, spendMicros = "spend_micros", maxBudget = "max_budget", models, blocked
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.keyHash, forKey: .token)
        try c.encode(row.display, forKey: .keyName)
        try c.encode(row.alias, forKey: .keyAlias)
        try c.encode(row.userID, forKey: .userID)
        try c.encode(teamID, forKey: .teamID)
        try c.encode(row.limits.spend, forKey: .spend)
        try c.encode(row.limits.spendMicros, forKey: .spendMicros)
        try c.encode(row.limits.maxBudget, forKey: .maxBudget)
        try c.encode(row.limits.models ?? [], forKey: .models)
        try c.encode(row.blocked, forKey: .blocked)
    }
}

/// The spend of a team's current budget period (teams with a `budget_duration`).
struct TeamPeriodView: Encodable, Sendable {
    var start: String
    var end: String
    var spend: Double
    var spendMicros: Int64

    enum CodingKeys: String, CodingKey { case start, end, spend, spendMicros = "spend_micros" }
}

/// `GET /team/info`: LiteLLM's shape, plus the current budget period's spend.
struct TeamInfoResponse: Encodable, Sendable {
    var teamID: String
    var teamInfo: TeamView
    var keys: [TeamKeyView]
    var teamMemberships: [Membership]
    var currentPeriod: TeamPeriodView?

    struct Membership: Encodable, Sendable {
        var teamID: String
        var userID: String
        var role: String

        enum CodingKeys: String, CodingKey { case teamID = "team_id", userID = "user_id", role }
    }

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id", teamInfo = "team_info", keys, teamMemberships = "team_memberships", currentPeriod = "current_period"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(teamID, forKey: .teamID)
        try c.encode(teamInfo, forKey: .teamInfo)
        try c.encode(keys, forKey: .keys)
        try c.encode(teamMemberships, forKey: .teamMemberships)
        try c.encode(currentPeriod, forKey: .currentPeriod)
    }
}

/// `POST /team/update`'s answer, as LiteLLM's.
struct TeamUpdateResponse: Encodable, Sendable {
    var teamID: String
    var data: TeamView

    enum CodingKeys: String, CodingKey { case teamID = "team_id", data }
}

/// `POST /team/member_add`'s answer: the team, and the users added.
struct TeamMemberAddResponse: Encodable, Sendable {
    var team: TeamView
    var updatedUsers: [TeamMember]

    enum CodingKeys: String, CodingKey { case updatedUsers = "updated_users" }

    func encode(to encoder: any Encoder) throws {
        try team.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(updatedUsers, forKey: .updatedUsers)
    }
}

/// `POST /team/delete`'s answer.
struct TeamDeleteResponse: Encodable, Sendable {
    var deletedTeams: [String]
    var deletedKeys: Int

    enum CodingKeys: String, CodingKey { case deletedTeams = "deleted_teams", deletedKeys = "deleted_keys" }
}
