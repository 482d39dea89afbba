import Foundation

/// RFC 4180 CSV for `/usage?format=csv`: a header row, CRLF line ends, fields quoted when they hold a
/// comma, quote or line break. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first)
/// gets a leading `'`, since key aliases and user ids are free text.
enum UsageCSV {
    static func render(header: [String], rows: [[Any?]]) -> String {
        var lines = [header.map { field(.some($0)) }.joined(separator: ",")]
        lines.reserveCapacity(rows.count + 1)
        for row in rows { lines.append(row.map(field).joined(separator: ",")) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func field(_ value: Any?) -> String {
        switch value {
        case nil: return ""
        case let number as Int64: return String(number)
        case let number as Int: return String(number)
        case let number as Double: return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case let text as String: return quoted(text)
        case let value?: return quoted("\(value)")
        }
    }

    private static func quoted(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
