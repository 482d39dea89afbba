import Foundation

/// Rows of text in aligned columns: each cell left-aligned and padded to its column's widest cell,
/// columns two spaces apart, no trailing spaces.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    /// The table as lines, header first.
    func render() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            let cells = headers.indices.map { row.indices.contains($0) ? row[$0] : "" }
            var line = zip(cells, widths).map { pad($0, to: $1) }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}

/// `field: value` lines, values aligned one column past the longest field name.
struct FieldBlock {
    var fields: [(name: String, value: String)] = []

    mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    func render() -> String {
        let width = (fields.map(\.name.count).max() ?? 0) + 1
        return fields.map { field in
            pad(field.name + ":", to: width) + " " + field.value
        }.joined(separator: "\n")
    }
}

/// `text` followed by spaces up to `width` characters (never cut).
func pad(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

/// Turns the admin API's JSON values into short cell text.
enum Cell {
    /// Shown for a null or absent value.
    static let none = "-"

    /// Text, a number, a list or an object, compactly; `-` for null.
    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return none
        case let text as String: return text.isEmpty ? none : text
        case let number as NSNumber: return numberText(number)
        case let list as [Any]: return list.isEmpty ? none : list.map { text($0) }.joined(separator: ",")
        default:
            let data = try? JSONSerialization.data(withJSONObject: value as Any, options: [.sortedKeys, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value!)"
        }
    }

    /// A count or limit: the number, or `-` when there is none.
    static func count(_ value: Any?) -> String {
        guard let number = value as? NSNumber else { return none }
        return numberText(number)
    }

    /// A model list: `all` when empty (no restriction), else the names comma-separated.
    static func models(_ value: Any?) -> String {
        guard let list = value as? [Any], !list.isEmpty else { return "all" }
        return list.map { text($0) }.joined(separator: ",")
    }

    /// US dollars with at least two decimals and at most six (spend is kept in micro-dollars): `$1.50`, `$0.000123`.
    static func dollars(_ value: Any?) -> String {
        guard let amount = (value as? NSNumber)?.doubleValue else { return none }
        var text = String(format: "%.6f", amount)
        while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
            text.removeLast()
        }
        return "$" + text
    }

    /// A budget and its period: `$10.00/30d`, `$10.00`, or `-` when there is no budget.
    static func budget(_ amount: Any?, period: Any?) -> String {
        let dollars = dollars(amount)
        guard dollars != none else { return none }
        guard let period = period as? String, !period.isEmpty else { return dollars }
        return dollars + "/" + period
    }

    /// `yes` or `no`.
    static func flag(_ value: Any?) -> String {
        (value as? NSNumber)?.boolValue == true ? "yes" : "no"
    }

    /// A PostgreSQL timestamp (`2025-06-01T12:00:00.123456+00:00`) as `2025-06-01 12:00 UTC`, with
    /// `(expired)` appended when `expiry` and past; `never` when null and `expiry`.
    static func time(_ value: Any?, expiry: Bool = false, now: Date = Date()) -> String {
        guard let text = value as? String, !text.isEmpty else { return expiry ? "never" : none }
        guard let date = parseTime(text) else { return text }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date) + " UTC" + (expiry && date <= now ? " (expired)" : "")
    }

    /// Parses ISO 8601 with or without fractional seconds (of any length) and a `Z` or `±hh:mm` offset.
    static func parseTime(_ text: String) -> Date? {
        var text = text.replacingOccurrences(of: " ", with: "T")
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            text.removeSubrange(dot..<text.index(dot, offsetBy: digits.count + 1))
        }
        if text.range(of: "[+-]\\d\\d$", options: .regularExpression) != nil { text += ":00" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { $0.addingTimeInterval(fraction) }
    }

    private static func numberText(_ number: NSNumber) -> String {
        if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
        let double = number.doubleValue
        if double.rounded() == double, abs(double) < 1e15 { return String(Int64(double)) }
        return String(double)
    }
}
