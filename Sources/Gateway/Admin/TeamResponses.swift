import Foundation

// The rows `/team/*` reads and the answers it gives, in LiteLLM's field names.

/// A `teams` row, as `row_to_json` writes it.
struct TeamRow: Decodable, Sendable {
    var teamID: String
    var teamAlias: String?
    var models: [String]
    var rpmLimit: Int?
    var tpmLimit: Int64?
    var maxParallelRequests: Int?
    var maxBudgetMicros: Int64?
    var budgetDuration: String?
    var budgetResetAt: String?
    var spendMicros: Int64
    var blocked: Bool
    var metadata: JSONValue
    var createdAt: String?
    var updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id"
        case teamAlias = "team_alias"
        case models
        case rpmLimit = "rpm_limit"
        case tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests"
        case maxBudgetMicros = "max_budget_micros"
        case budgetDuration = "budget_duration"
        case budgetResetAt = "budget_reset_at"
        case spendMicros = "spend_micros"
        case blocked, metadata
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A team as the admin API answers it (LiteLLM's team object): spend and budget in dollars, members with roles.
struct TeamView: Encodable, Sendable {
    var row: TeamRow
    var members: [TeamMember]

    enum CodingKeys: String, CodingKey {
        case teamID = "team_id", teamAlias = "team_alias", models
        case rpmLimit = "rpm_limit", tpmLimit = "tpm_limit", maxParallelRequests = "max_parallel_requests"
        case maxBudget = "max_budget", budgetDuration = "budget_duration", budgetResetAt = "budget_reset_at"
        case spend, spendMicros = "spend_micros", blocked, metadata
        case members = "members_with_roles", admins, memberIDs = "members"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    /// Every field is written, `null` when unset, as LiteLLM answers.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.teamID, forKey: .teamID)
        try c.encode(row.teamAlias, forKey: .teamAlias)
        try c.encode(row.models, forKey: .models)
        try c.encode(row.rpmLimit, forKey: .rpmLimit)
        try c.encode(row.tpmLimit, forKey: .tpmLimit)
        try c.encode(row.maxParallelRequests, forKey: .maxParallelRequests)
        try c.encode(row.maxBudgetMicros.map { Double($0) / 1_000_000 }, forKey: .maxBudget)
        try c.encode(row.budgetDuration, forKey: .budgetDuration)
        try c.encode(row.budgetResetAt, forKey: .budgetResetAt)
        try c.encode(Double(row.spendMicros) / 1_000_000, forKey: .spend)
        try c.encode(row.spendMicros, forKey: .spendMicros)
        try c.encode(row.blocked, forKey: .blocked)
        try c.encode(row.metadata, forKey: .metadata)
        try c.encode(members, forKey: .members)
        try c.encode(members.filter { $0.role == "admin" }.compactMap(\.userID), forKey: .admins)
        try c.encode(members.compactMap(\.userID), forKey: .memberIDs)
        try c.encode(row.createdAt, forKey: .createdAt)
        try c.encode(row.updatedAt, forKey: .updatedAt)
    }
}

/// An `api_keys` row's fields that a team's answers show (by hash, never the secret).
struct TeamKeyRow: Decodable, Sendable {
    var keyHash: String
    var display: String
    var alias: String?
    var userID: String?
    var spendMicros: Int64
    var maxBudgetMicros: Int64?
    var models: [String]
    var blocked: Bool

    enum CodingKeys: String, CodingKey {
        case keyHash = "key_hash", display, alias, userID = "user_id", spendMicros = "spend_micros"
        case maxBudgetMicros = "max_budget_micros", models, blocked
    }
}

/// A key of a team, as `/team/info` lists it.
struct TeamKeyView: Encodable, Sendable {
    var row: TeamKeyRow
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
        try c.encode(Double(row.spendMicros) / 1_000_000, forKey: .spend)
        try c.encode(row.spendMicros, forKey: .spendMicros)
        try c.encode(row.maxBudgetMicros.map { Double($0) / 1_000_000 }, forKey: .maxBudget)
        try c.encode(row.models, forKey: .models)
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
