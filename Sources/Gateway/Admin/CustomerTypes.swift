import Dialects
import Foundation

// The request and response bodies of `/customer/*` (LiteLLM's end users), in LiteLLM's field names.

/// `POST /customer/new` and `/customer/update`: the end user, its alias, and its limits, budget, block and
/// metadata (a ``LimitPatch``; `models` is ignored, as an end user has none).
struct CustomerRequest: AdminRequest {
    var userID: String
    var alias: Patch<String>
    var limits: LimitPatch

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case alias
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userID = try c.decode(String.self, forKey: .userID)
        alias = try c.decode(Patch<String>.self, forKey: .alias)
        limits = try LimitPatch(from: decoder)
        limits.models = .absent  // an end user has no model list
    }

    /// The end user's id (``CustomerAdminService/checkedID(_:)``) and its limits.
    func validate() throws {
        _ = try CustomerAdminService.checkedID(userID)
        try limits.validate()
    }
}

/// `POST /customer/delete`, `/customer/block`, `/customer/unblock`.
struct CustomerIDsRequest: AdminRequest {
    var userIDs: [String]

    enum CodingKeys: String, CodingKey { case userIDs = "user_ids" }

    func validate() throws {
        guard !userIDs.isEmpty else { throw GatewayError(.invalidRequest, "Name the end users in 'user_ids'.", param: "user_ids") }
    }
}

/// An `end_users` row, as `row_to_json` writes it.
struct CustomerRow: Decodable, Sendable {
    var userID: String
    var alias: String?
    var blocked: Bool
    var limits: LimitColumns

    enum CodingKeys: String, CodingKey { case userID = "user_id", alias, blocked }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userID = try c.decode(String.self, forKey: .userID)
        alias = try c.decodeIfPresent(String.self, forKey: .alias)
        blocked = try c.decodeIfPresent(Bool.self, forKey: .blocked) ?? false
        limits = try LimitColumns(from: decoder)
    }
}

/// An end user as the admin API answers it: LiteLLM's customer object (limits also under
/// `litellm_budget_table`, where LiteLLM keeps them), spend in dollars.
struct CustomerView: Encodable, Sendable {
    var row: CustomerRow

    enum CodingKeys: String, CodingKey { case userID = "user_id", alias, blocked, budgetTable = "litellm_budget_table" }

    enum BudgetKeys: String, CodingKey {
        case maxBudget = "max_budget", budgetDuration = "budget_duration", rpmLimit = "rpm_limit", tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests"
    }

    func encode(to encoder: any Encoder) throws {
        let limits = row.limits
        try limits.encode(to: encoder, omitting: [.models, .budgetResetAt])
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.userID, forKey: .userID)
        try c.encode(row.alias, forKey: .alias)
        try c.encode(row.blocked, forKey: .blocked)
        var table = c.nestedContainer(keyedBy: BudgetKeys.self, forKey: .budgetTable)
        try table.encode(limits.maxBudget, forKey: .maxBudget)
        try table.encode(limits.budgetDuration, forKey: .budgetDuration)
        try table.encode(limits.rpmLimit, forKey: .rpmLimit)
        try table.encode(limits.tpmLimit, forKey: .tpmLimit)
        try table.encode(limits.maxParallelRequests, forKey: .maxParallelRequests)
    }
}

/// The answer of `/customer/delete`, `/customer/block` and `/customer/unblock`: the end users changed.
struct CustomerChangeResponse: Encodable, Sendable {
    var userIDs: [String]

    enum CodingKeys: String, CodingKey { case userIDs = "user_ids" }
}
