import Dialects
import Foundation
import Postgres

/// The fields keys, users, teams and end users share — models, rate limits, budget, metadata and block —
/// read from a typed admin body. Each is a ``Patch``: absent leaves the column, `null` clears it.
///
/// ``validate()`` is the one check of their ranges (as the columns hold them) and periods; the request types
/// that embed a `LimitPatch` call it from their own `validate()`, which ``AdminJSON`` runs on every body.
struct LimitPatch: Decodable, Sendable {
    var models: Patch<[String]> = .absent
    var rpmLimit: Patch<Int> = .absent
    var tpmLimit: Patch<Int> = .absent
    var maxParallelRequests: Patch<Int> = .absent
    var maxBudget: Patch<Double> = .absent
    var budgetDuration: Patch<String> = .absent
    var metadata: Patch<[String: JSONValue]> = .absent
    var blocked: Patch<Bool> = .absent

    enum CodingKeys: String, CodingKey {
        case models
        case rpmLimit = "rpm_limit"
        case tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests"
        case maxBudget = "max_budget"
        case budgetDuration = "budget_duration"
        case metadata, blocked
    }

    init() {}

    /// The integer limits: field name, value and the largest value its column holds (`rpm_limit` and
    /// `max_parallel_requests` are `integer` columns, `tpm_limit` a `bigint`).
    private var counts: [(name: String, patch: Patch<Int>, limit: Int)] {
        [
            ("rpm_limit", rpmLimit, Int(Int32.max)), ("tpm_limit", tpmLimit, 999_999_999_999_999),
            ("max_parallel_requests", maxParallelRequests, Int(Int32.max)),
        ]
    }

    /// Refuses a value out of its column's range or an unknown period, with a 400 naming the field.
    func validate() throws {
        for (name, patch, limit) in counts {
            if let value = patch.value, !(0...limit).contains(value) {
                throw Self.invalid(name, "must be a non-negative integer no larger than \(limit)")
            }
        }
        if let value = maxBudget.value, !(value >= 0 && value < 1e9) {
            throw Self.invalid("max_budget", "must be a non-negative number of US dollars")
        }
        if let value = budgetDuration.value, BudgetPeriod.seconds(value) == nil {
            throw Self.invalid("budget_duration", "must be a period such as 1h, 1d, 7d, 30d or 1mo")
        }
    }

    /// Refuses a model that is neither an alias nor a model Ollama reports, naming its place in the list.
    func checkModels(_ knownModel: (String) async -> Bool) async throws {
        for (index, model) in (models.value ?? []).enumerated() where await !knownModel(model) {
            throw GatewayError(
                .invalidRequest, "Unknown model '\(model)' in 'models': it is neither an alias nor a model Ollama reports.",
                param: "models[\(index)]"
            )
        }
    }

    /// The columns to set, for a body ``validate()`` has passed.
    var columns: ColumnValues {
        var columns = ColumnValues()
        if !models.isAbsent {
            columns.set("models", .text(JSONText.encode(models.value ?? [])), as: "ARRAY(SELECT jsonb_array_elements_text($::jsonb))")
        }
        for (name, patch, _) in counts where !patch.isAbsent { columns.set(name, PostgresValue(patch.value)) }
        if !maxBudget.isAbsent { columns.set("max_budget_micros", PostgresValue(maxBudget.value.map { Int64(($0 * 1_000_000).rounded()) })) }
        if !budgetDuration.isAbsent { columns.set("budget_duration", PostgresValue(budgetDuration.value)) }
        if !metadata.isAbsent { columns.set("metadata", .text(JSONValue.object(metadata.value ?? [:]).text), as: "$::jsonb") }
        if !blocked.isAbsent { columns.set("blocked", PostgresValue(blocked.value ?? false)) }
        return columns
    }

    static func invalid(_ name: String, _ rule: String) -> GatewayError {
        GatewayError(.invalidRequest, "'\(name)' \(rule).", param: name)
    }
}

/// Periods written as a number and a unit: `s`, `m`, `h`, `d`, `mo` (30 days, for expiry arithmetic).
enum BudgetPeriod {
    /// The longest period read: 36,500 days. Longer ones are refused, so that no expiry or budget window
    /// computed from a period overflows (an expiry is bound to PostgreSQL in microseconds).
    static let maxSeconds = 36_500 * 86_400

    static func seconds(_ text: String) -> Int? {
        let digits = text.prefix { $0.isNumber }
        guard let number = Int(digits), number > 0 else { return nil }
        let unit: Int
        switch text.dropFirst(digits.count) {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        case "mo": unit = 30 * 86_400
        default: return nil
        }
        guard number <= maxSeconds / unit else { return nil }
        return number * unit
    }
}
