import Dialects
import Foundation
import Postgres

/// The settable columns of `api_keys`, read from a `/key/generate` or `/key/update` body.
///
/// Each entry is a column, the SQL expression that takes its bound value (`$n` is filled in by the
/// caller), and the value. Values never enter SQL text.
struct ColumnValues {
    private(set) var entries: [(column: String, expression: String, value: PostgresValue)] = []

    mutating func set(_ column: String, _ value: PostgresValue, as expression: String = "$") {
        entries.append((column, expression, value))
    }

    var isEmpty: Bool { entries.isEmpty }

    /// `col = expr($k)` pieces for an UPDATE, numbering parameters from `first`.
    func assignments(from first: Int) -> String {
        entries.enumerated().map { "\($0.element.column) = " + $0.element.expression.replacingOccurrences(of: "$", with: "$\(first + $0.offset)") }
            .joined(separator: ", ")
    }

    var columns: String { entries.map(\.column).joined(separator: ", ") }

    /// `expr($k)` pieces for an INSERT's VALUES, numbering parameters from `first`.
    func placeholders(from first: Int) -> String {
        entries.enumerated().map { $0.element.expression.replacingOccurrences(of: "$", with: "$\(first + $0.offset)") }.joined(separator: ", ")
    }

    var values: [PostgresValue] { entries.map(\.value) }
}

/// Reads the fields keys and users share (limits, budget, models, metadata) into columns.
struct LimitFields {
    /// Reads every field present in `fields`; `null` clears a nullable column. Models are checked by `knownModel`.
    static func read(
        _ fields: AdminFields, into columns: inout ColumnValues, knownModel: (String) async -> Bool
    ) async throws {
        if fields.isPresent("models") {
            let models = try fields.strings("models") ?? []
            for (index, model) in models.enumerated() where await !knownModel(model) {
                throw GatewayError(
                    .invalidRequest, "Unknown model '\(model)' in 'models': it is neither an alias nor a model Ollama reports.",
                    param: "models[\(index)]"
                )
            }
            columns.set("models", .text(JSONText.encode(models)), as: "ARRAY(SELECT jsonb_array_elements_text($::jsonb))")
        }
        // rpm_limit and max_parallel_requests are `integer` columns, tpm_limit a `bigint`.
        let int32 = Int(Int32.max)
        for (field, limit) in [("rpm_limit", int32), ("tpm_limit", 999_999_999_999_999), ("max_parallel_requests", int32)]
        where fields.isPresent(field) {
            columns.set(field, PostgresValue(try fields.count(field, atMost: limit)))
        }
        if fields.isPresent("max_budget") {
            columns.set("max_budget_micros", PostgresValue(try fields.dollars("max_budget")))
        }
        if fields.isPresent("budget_duration") {
            columns.set("budget_duration", PostgresValue(try fields.period("budget_duration")))
        }
        if fields.isPresent("metadata") {
            columns.set("metadata", .text(try fields.jsonObject("metadata") ?? "{}"), as: "$::jsonb")
        }
    }

    /// Reads `duration` (`30d`; `-1` or null: never) or `expires` (ISO 8601) into `expires_at`.
    static func readExpiry(_ fields: AdminFields, into columns: inout ColumnValues, now: Date = Date()) throws {
        if fields.isPresent("duration") {
            let text = try fields.string("duration")
            if let text, text != "-1" {
                guard let seconds = BudgetPeriod.seconds(text) else {
                    throw fields.invalid("duration", "must be a duration such as 30s, 30m, 30h or 30d")
                }
                columns.set("expires_at", PostgresValue(now.addingTimeInterval(TimeInterval(seconds))))
            } else {
                columns.set("expires_at", .null)
            }
        } else if fields.isPresent("expires") {
            guard let text = try fields.string("expires") else {
                columns.set("expires_at", .null)
                return
            }
            guard let date = PostgresTime.date(text) else { throw fields.invalid("expires", "must be an ISO 8601 time") }
            columns.set("expires_at", PostgresValue(date))
        }
    }
}
