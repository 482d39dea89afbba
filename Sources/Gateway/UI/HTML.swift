import Dialects
import Foundation

/// A piece of HTML. Written as a string literal with interpolations; every interpolated `String` is
/// escaped (`& < > " '`), so user-controlled text — key aliases, user ids, model names, metadata —
/// can only ever appear as text, in element content and in quoted attribute values alike. Only
/// another `HTML` value is inserted as is. There is no interpolation for other types: numbers and dates
/// are formatted to a `String` first (``UIFormat``), which is then escaped like any text.
///
/// Why not a template engine: the pages are a few small functions; with this type the compiler checks
/// that nothing reaches the page unescaped, and there is no template file to ship or find at run time.
struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    /// Markup this program made itself (never user input), such as the chart renderer's SVG numbers.
    init(trusted text: String) { self.text = text }

    var description: String { text }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(trusted: lhs.text + rhs.text) }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + interpolationCount * 16) }

        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        /// nil is written as nothing.
        mutating func appendInterpolation(_ value: String?) { text += HTML.escape(value ?? "") }
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        mutating func appendInterpolation(_ parts: [HTML]) { for part in parts { text += part.text } }
    }

    /// `value` with the five characters that matter in HTML text and attributes replaced by entities.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

extension Array where Element == HTML {
    func joined() -> HTML { HTML(trusted: map(\.text).joined()) }
}

/// Formatting of numbers, money and times for the pages, always to plain `String`s.
enum UIFormat {
    /// 1234567 → "1,234,567".
    static func integer<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Short form for axes and tiles: 950, 1.2k, 3.4M, 5.6B, 7.8T.
    static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where magnitude >= scale {
            return trimmed(value / scale, digits: magnitude / scale >= 100 ? 0 : 1) + suffix
        }
        return trimmed(value, digits: magnitude >= 100 || magnitude == magnitude.rounded() ? 0 : 2)
    }

    /// Dollars from micro-dollars: "$0.0123".
    static func dollars(micros: Int64) -> String { dollars(Double(micros) / 1_000_000) }

    static func dollars(_ value: Double) -> String {
        if value == 0 { return "$0" }
        return "$" + String(format: abs(value) < 1 ? "%.4f" : "%.2f", value)
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value >= 10_000 ? String(format: "%.1f s", value / 1000) : String(format: "%.0f ms", value)
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// "2026-05-01 12:00" in `zone`.
    static func time(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    private static func trimmed(_ value: Double, digits: Int) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
