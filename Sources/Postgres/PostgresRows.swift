/// The rows a statement returned, copied out of libpq's result in text format.
///
/// Copying once keeps C memory out of Swift code: the `PGresult` is freed before the rows are handed over.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// The number of rows a command touched (`INSERT`, `UPDATE`, `DELETE`), when the server reported one.
    public let affectedRows: Int

    public init(columns: [String], rows: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var isEmpty: Bool { rows.isEmpty }
    public var count: Int { rows.count }

    /// The value of `column` in row `row`, or nil when it is SQL NULL or the column does not exist.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let index = columns.firstIndex(of: column), rows.indices.contains(row) else { return nil }
        return rows[row][index]
    }

    /// Rows as dictionaries keyed by column name; convenient in tests and admin code, not on hot paths.
    public var dictionaries: [[String: String?]] {
        rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns, row)) }
    }
}
