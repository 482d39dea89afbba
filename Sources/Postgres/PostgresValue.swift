public import Foundation

/// A statement parameter, sent to the server in text format and always bound (`$1`, `$2`, ...).
///
/// Values are never spliced into SQL text; the server parses them according to the parameter's type.
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)

    public init(_ value: String?) { self = value.map(PostgresValue.text) ?? .null }
    public init(_ value: Int?) { self = value.map { .text(String($0)) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .text(String($0)) } ?? .null }
    public init(_ value: Bool?) { self = value.map { .text($0 ? "true" : "false") } ?? .null }

    /// A timestamp, sent with microsecond precision in UTC.
    public init(_ value: Date?) {
        guard let value else {
            self = .null
            return
        }
        let micros = Int64((value.timeIntervalSince1970 * 1_000_000).rounded())
        self = .text(PostgresValue.timestampText(microsSinceEpoch: micros))
    }

    /// `YYYY-MM-DD hh:mm:ss.ffffff+00` in UTC, written digit by digit (a usage row has one, a batch thousands).
    static func timestampText(microsSinceEpoch micros: Int64) -> String {
        let seconds = micros.floorDivided(by: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text: [UInt8] = []
        text.reserveCapacity(30)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            if value < 0 || value >= divisor * 10 {
                // A year outside 0…9999: as the number it is.
                text.append(contentsOf: String(value).utf8)
                return
            }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        text.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        text.append(UInt8(ascii: " "))
        digits(Int(parts.tm_hour), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        text.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        text.append(UInt8(ascii: "."))
        digits(Int(fraction), 6)
        text.append(contentsOf: "+00".utf8)
        return String(decoding: text, as: UTF8.self)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}

extension PostgresValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension PostgresValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .text(String(value)) }
}

extension PostgresValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension PostgresValue {
    public init(_ value: Double?) { self = value.map { .text(String($0)) } ?? .null }
}
