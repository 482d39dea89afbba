import Foundation

/// RFC 4180 CSV for `/usage?format=csv`: a header row, CRLF line ends, fields quoted when they hold a
/// comma, quote or line break. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first)
/// gets a leading `'`, since key aliases and user ids are free text.
enum UsageCSV {
    static func render(header: [String], rows: [[UsageCell]]) -> String {
        var lines = [header.map { field(.text($0)) }.joined(separator: ",")]
        lines.reserveCapacity(rows.count + 1)
        for row in rows { lines.append(row.map(field).joined(separator: ",")) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A field: nothing for a null, whole numbers without a fraction (`2`, not `2.0`).
    static func field(_ value: UsageCell) -> String {
        switch value {
        case .text(nil), .number(nil): return ""
        case .integer(let number): return String(number)
        case .number(let number?): return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .text(let text?): return quoted(text)
        }
    }

    private static func quoted(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
