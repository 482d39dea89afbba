import Foundation

/// A virtual key as stored (never with its secret): who owns it, what it may use, its limits.
struct VirtualKey: Sendable, Equatable {
    var id: String
    var keyHash: String
    var display: String
    var alias: String?
    var userID: String?
    /// Models the key may use; empty means every model.
    var models: [String]
    /// Models the key's owner may use; empty means every model.
    var userModels: [String] = []
    /// The owner's limits (rate limits and budget spanning all their keys), when the key has an owner.
    var userLimits: LimitPolicy? = nil
    /// The key's team, its model list (empty: every model), limits and block; see ``TeamSettings``.
    var team: TeamSettings? = nil
    /// Whether Open WebUI's `X-OpenWebUI-User-*` headers name the end user; nil: `auth.trust_end_user_headers`.
    var trustsEndUserHeaders: Bool? = nil
    var rpmLimit: Int?
    var tpmLimit: Int?
    var maxParallelRequests: Int?
    var maxBudgetMicros: Int64?
    var budgetDuration: String?
    var budgetResetAt: Date?
    var spendMicros: Int64
    var expiresAt: Date?
    var blocked: Bool
    /// The key's metadata object, as JSON text.
    var metadataJSON: String
    var createdAt: Date?
    var updatedAt: Date?

    /// Whether the key may use `model` (by the name the client sent, or the Ollama model it resolved to).
    /// Names compare as Ollama compares them: `qwen3` allows `qwen3:latest`.
    func allows(model requested: String, resolved: String) -> Bool {
        func permits(_ list: [String]) -> Bool {
            list.isEmpty || list.contains(requested) || list.contains(resolved)
                || ModelCatalog.match(requested, in: list) != nil || ModelCatalog.match(resolved, in: list) != nil
        }
        return permits(models) && permits(userModels) && permits(team?.models ?? [])
    }

    func isExpired(at now: Date = Date()) -> Bool {
        expiresAt.map { $0 <= now } ?? false
    }
}

extension VirtualKey {
    /// Reads a key from a `row_to_json(api_keys)` object.
    init?(row: [String: Any]) {
        guard let id = row["id"] as? String, let hash = row["key_hash"] as? String, let display = row["display"] as? String else {
            return nil
        }
        self.init(
            id: id, keyHash: hash, display: display,
            alias: row["alias"] as? String,
            userID: row["user_id"] as? String,
            models: row["models"] as? [String] ?? [],
            userModels: [],
            userLimits: nil,
            team: nil,
            trustsEndUserHeaders: row["trust_end_user_headers"] as? Bool,
            rpmLimit: (row["rpm_limit"] as? NSNumber)?.intValue,
            tpmLimit: (row["tpm_limit"] as? NSNumber)?.intValue,
            maxParallelRequests: (row["max_parallel_requests"] as? NSNumber)?.intValue,
            maxBudgetMicros: (row["max_budget_micros"] as? NSNumber)?.int64Value,
            budgetDuration: row["budget_duration"] as? String,
            budgetResetAt: PostgresTime.date(row["budget_reset_at"]),
            spendMicros: (row["spend_micros"] as? NSNumber)?.int64Value ?? 0,
            expiresAt: PostgresTime.date(row["expires_at"]),
            blocked: row["blocked"] as? Bool ?? false,
            metadataJSON: JSONText.encode(row["metadata"] ?? [String: Any]()),
            createdAt: PostgresTime.date(row["created_at"]),
            updatedAt: PostgresTime.date(row["updated_at"])
        )
    }
}

/// What a key takes from its team: the team's id, models, limits (spanning every key of the team) and block.
struct TeamSettings: Sendable, Equatable {
    var id: String
    /// Models the team may use; empty means every model. Narrows every key of the team.
    var models: [String]
    var limits: LimitPolicy
    var blocked: Bool

    /// Reads a `row_to_json(teams)` object.
    init?(row: [String: Any]) {
        guard let id = row["team_id"] as? String else { return nil }
        self.id = id
        self.models = row["models"] as? [String] ?? []
        self.limits = LimitPolicy(row: row)
        self.blocked = row["blocked"] as? Bool ?? false
    }
}

/// Timestamps as `row_to_json` writes them (`2026-11-21T22:29:40.123456+00:00`).
enum PostgresTime {
    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }

    static func string(_ date: Date?) -> Any {
        guard let date else { return NSNull() }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// JSON text from and to Foundation objects, for metadata and admin bodies.
enum JSONText {
    static func encode(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
