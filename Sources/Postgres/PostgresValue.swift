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

    static func timestampText(microsSinceEpoch micros: Int64) -> String {
        let seconds = micros.floorDivided(by: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
            fraction
        )
        return date
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
