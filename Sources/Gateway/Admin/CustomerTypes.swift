import Foundation

// The request and response bodies of `/customer/*` (LiteLLM's end users), in LiteLLM's field names.

/// `POST /customer/new` and `/customer/update`: the end user and its alias; its limits, budget, block and
/// metadata are read from the same body as a ``LimitPatch``.
struct CustomerRequest: Decodable, Sendable {
    var userID: String
    var alias: Patch<String>

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case alias
    }
}

/// `POST /customer/delete`, `/customer/block`, `/customer/unblock`.
struct CustomerIDsRequest: Decodable, Sendable {
    var userIDs: [String]

    enum CodingKeys: String, CodingKey { case userIDs = "user_ids" }
}

/// An `end_users` row, as `row_to_json` writes it.
struct CustomerRow: Decodable, Sendable {
    var userID: String
    var alias: String?
    var blocked: Bool
    var rpmLimit: Int?
    var tpmLimit: Int64?
    var maxParallelRequests: Int?
    var maxBudgetMicros: Int64?
    var budgetDuration: String?
    var spendMicros: Int64
    var metadata: JSONValue
    var createdAt: String?
    var updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", alias, blocked
        case rpmLimit = "rpm_limit", tpmLimit = "tpm_limit", maxParallelRequests = "max_parallel_requests"
        case maxBudgetMicros = "max_budget_micros", budgetDuration = "budget_duration", spendMicros = "spend_micros"
        case metadata, createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// An end user as the admin API answers it: LiteLLM's customer object (limits also under
/// `litellm_budget_table`, where LiteLLM keeps them), spend in dollars.
struct CustomerView: Encodable, Sendable {
    var row: CustomerRow

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", alias, blocked, spend, spendMicros = "spend_micros"
        case maxBudget = "max_budget", budgetDuration = "budget_duration", rpmLimit = "rpm_limit", tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests", metadata, budgetTable = "litellm_budget_table"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    enum BudgetKeys: String, CodingKey {
        case maxBudget = "max_budget", budgetDuration = "budget_duration", rpmLimit = "rpm_limit", tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests"
    }

    /// Every field is written, `null` when unset, as LiteLLM answers.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let budget = row.maxBudgetMicros.map { Double($0) / 1_000_000 }
        try c.encode(row.userID, forKey: .userID)
        try c.encode(row.alias, forKey: .alias)
        try c.encode(row.blocked, forKey: .blocked)
        try c.encode(Double(row.spendMicros) / 1_000_000, forKey: .spend)
        try c.encode(row.spendMicros, forKey: .spendMicros)
        try c.encode(budget, forKey: .maxBudget)
        try c.encode(row.budgetDuration, forKey: .budgetDuration)
        try c.encode(row.rpmLimit, forKey: .rpmLimit)
        try c.encode(row.tpmLimit, forKey: .tpmLimit)
        try c.encode(row.maxParallelRequests, forKey: .maxParallelRequests)
        try c.encode(row.metadata, forKey: .metadata)
        try c.encode(row.createdAt, forKey: .createdAt)
        try c.encode(row.updatedAt, forKey: .updatedAt)
        var table = c.nestedContainer(keyedBy: BudgetKeys.self, forKey: .budgetTable)
        try table.encode(budget, forKey: .maxBudget)
        try table.encode(row.budgetDuration, forKey: .budgetDuration)
        try table.encode(row.rpmLimit, forKey: .rpmLimit)
        try table.encode(row.tpmLimit, forKey: .tpmLimit)
        try table.encode(row.maxParallelRequests, forKey: .maxParallelRequests)
    }
}

/// The answer of `/customer/delete`, `/customer/block` and `/customer/unblock`: the end users changed.
struct CustomerChangeResponse: Encodable, Sendable {
    var userIDs: [String]

    enum CodingKeys: String, CodingKey { case userIDs = "user_ids" }
}
