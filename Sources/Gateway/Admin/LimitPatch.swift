import Dialects
import Foundation
import Postgres

/// The fields teams and customers share with keys and users — models, rate limits, budget, metadata and
/// block — read from a typed admin body. Each is a ``Patch``: absent leaves the column, `null` clears it.
struct LimitPatch: Decodable, Sendable {
    var models: Patch<[String]>
    var rpmLimit: Patch<Int>
    var tpmLimit: Patch<Int>
    var maxParallelRequests: Patch<Int>
    var maxBudget: Patch<Double>
    var budgetDuration: Patch<String>
    var metadata: Patch<[String: JSONValue]>
    var blocked: Patch<Bool>

    enum CodingKeys: String, CodingKey {
        case models
        case rpmLimit = "rpm_limit"
        case tpmLimit = "tpm_limit"
        case maxParallelRequests = "max_parallel_requests"
        case maxBudget = "max_budget"
        case budgetDuration = "budget_duration"
        case metadata, blocked
    }

    /// The columns to set, each value checked (ranges as the columns hold them; a known period; known models
    /// when `knownModel` is given). Errors are 400s naming the field.
    func columns(knownModel: ((String) async -> Bool)? = nil) async throws -> ColumnValues {
        var columns = ColumnValues()
        if let knownModel, let models = models.value {
            for (index, model) in models.enumerated() where await !knownModel(model) {
                throw GatewayError(
                    .invalidRequest, "Unknown model '\(model)' in 'models': it is neither an alias nor a model Ollama reports.",
                    param: "models[\(index)]"
                )
            }
        }
        if !models.isAbsent {
            columns.set("models", .text(JSONText.encode(models.value ?? [])), as: "ARRAY(SELECT jsonb_array_elements_text($::jsonb))")
        }
        for (name, column, patch, limit) in [
            ("rpm_limit", "rpm_limit", rpmLimit, Int(Int32.max)), ("tpm_limit", "tpm_limit", tpmLimit, 999_999_999_999_999),
            ("max_parallel_requests", "max_parallel_requests", maxParallelRequests, Int(Int32.max)),
        ] where !patch.isAbsent {
            if let value = patch.value, !(0...limit).contains(value) {
                throw Self.invalid(name, "must be a non-negative integer no larger than \(limit)")
            }
            columns.set(column, PostgresValue(patch.value))
        }
        if !maxBudget.isAbsent {
            if let value = maxBudget.value, !(value >= 0 && value < 1e9) { throw Self.invalid("max_budget", "must be a non-negative number of US dollars") }
            columns.set("max_budget_micros", PostgresValue(maxBudget.value.map { Int64(($0 * 1_000_000).rounded()) }))
        }
        if !budgetDuration.isAbsent {
            if let value = budgetDuration.value, BudgetPeriod.seconds(value) == nil {
                throw Self.invalid("budget_duration", "must be a period such as 1h, 1d, 7d, 30d or 1mo")
            }
            columns.set("budget_duration", PostgresValue(budgetDuration.value))
        }
        if !metadata.isAbsent { columns.set("metadata", .text(JSONValue.object(metadata.value ?? [:]).text), as: "$::jsonb") }
        if !blocked.isAbsent { columns.set("blocked", PostgresValue(blocked.value ?? false)) }
        return columns
    }

    static func invalid(_ name: String, _ rule: String) -> GatewayError {
        GatewayError(.invalidRequest, "'\(name)' \(rule).", param: name)
    }
}
