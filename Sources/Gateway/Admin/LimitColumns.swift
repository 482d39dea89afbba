import Foundation

/// The columns keys, users, teams and end users share — models, rate limits, budget, spend, metadata and
/// times — as `row_to_json` writes them, and the one place their LiteLLM form in an admin answer is built.
///
/// Each entity's row type decodes these from the same row (``KeyRow``, ``UserRow``, ``TeamRow``,
/// ``CustomerRow``) and its answer writes them with ``encode(to:omitting:)`` beside its own fields.
struct LimitColumns: Decodable, Sendable {
    /// Absent for end users, who have no model list.
    var models: [String]?
    var rpmLimit: Int?
    var tpmLimit: Int64?
    var maxParallelRequests: Int?
    var maxBudgetMicros: Int64?
    var budgetDuration: String?
    var budgetResetAt: String?
    var spendMicros: Int64
    var metadata: JSONValue
    var createdAt: String?
    var updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case models
        case rpmLimit = "rpm_limit", tpmLimit = "tpm_limit", maxParallelRequests = "max_parallel_requests"
        case maxBudgetMicros = "max_budget_micros", maxBudget = "max_budget", budgetDuration = "budget_duration"
        case budgetResetAt = "budget_reset_at", spend, spendMicros = "spend_micros", metadata
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decodeIfPresent([String].self, forKey: .models)
        rpmLimit = try c.decodeIfPresent(Int.self, forKey: .rpmLimit)
        tpmLimit = try c.decodeIfPresent(Int64.self, forKey: .tpmLimit)
        maxParallelRequests = try c.decodeIfPresent(Int.self, forKey: .maxParallelRequests)
        maxBudgetMicros = try c.decodeIfPresent(Int64.self, forKey: .maxBudgetMicros)
        budgetDuration = try c.decodeIfPresent(String.self, forKey: .budgetDuration)
        budgetResetAt = try c.decodeIfPresent(String.self, forKey: .budgetResetAt)
        spendMicros = try c.decodeIfPresent(Int64.self, forKey: .spendMicros) ?? 0
        metadata = try c.decodeIfPresent(JSONValue.self, forKey: .metadata) ?? .emptyObject
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
    }

    /// The budget in US dollars, or nil.
    var maxBudget: Double? { maxBudgetMicros.map { Double($0) / 1_000_000 } }
    /// The spend in US dollars.
    var spend: Double { Double(spendMicros) / 1_000_000 }

    /// Shared fields an entity's LiteLLM object does not have.
    struct Omitted: OptionSet, Sendable {
        let rawValue: Int
        static let models = Omitted(rawValue: 1)
        static let budgetResetAt = Omitted(rawValue: 2)
        static let spendMicros = Omitted(rawValue: 4)
    }

    /// Writes every shared field but `omitted` into `encoder`'s object, `null` when unset, as LiteLLM answers.
    func encode(to encoder: any Encoder, omitting omitted: Omitted = []) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !omitted.contains(.models) { try c.encode(models ?? [], forKey: .models) }
        try c.encode(rpmLimit, forKey: .rpmLimit)
        try c.encode(tpmLimit, forKey: .tpmLimit)
        try c.encode(maxParallelRequests, forKey: .maxParallelRequests)
        try c.encode(maxBudget, forKey: .maxBudget)
        try c.encode(budgetDuration, forKey: .budgetDuration)
        if !omitted.contains(.budgetResetAt) { try c.encode(budgetResetAt, forKey: .budgetResetAt) }
        try c.encode(spend, forKey: .spend)
        if !omitted.contains(.spendMicros) { try c.encode(spendMicros, forKey: .spendMicros) }
        try c.encode(metadata, forKey: .metadata)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// Reads the `row_to_json(...)::text` of an admin table as its row type.
enum AdminRow {
    static func decode<Row: Decodable>(_ type: Row.Type, from text: String) throws -> Row {
        try JSONDecoder().decode(Row.self, from: Data(text.utf8))
    }

    /// The rows of a query's first column, each decoded.
    static func decodeAll<Row: Decodable>(_ type: Row.Type, from texts: [String?]) throws -> [Row] {
        try texts.compactMap { $0 }.map { try decode(Row.self, from: $0) }
    }
}

/// The key hashes a delete removed, carried in its audit row's `after` value.
struct DeletedKeys: Codable, Sendable {
    var deletedKeys: [String]

    enum CodingKeys: String, CodingKey { case deletedKeys = "deleted_keys" }

    var json: String { JSONValue.object(["deleted_keys": .array(deletedKeys.map(JSONValue.string))]).text }

    static func read(_ text: String?) -> [String] {
        text.flatMap { try? AdminRow.decode(DeletedKeys.self, from: $0) }?.deletedKeys ?? []
    }
}
