import Dialects
import Foundation
import Postgres

/// The columns an admin change sets, built by the typed request bodies (``LimitPatch``, ``KeyRequest``, …).
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
