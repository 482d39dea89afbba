import Foundation

/// Where a page of `/spend/logs` ended: the last row's `(started_at, request_id)`, the log's sort key.
///
/// Clients get it as an opaque string (`next_cursor`) and send it back as `cursor`. The next page holds
/// the rows strictly before it in the order `started_at DESC, request_id DESC`, so rows written while a
/// client pages (newer ones) never shift the pages, and every row is seen exactly once.
/// The time is kept in whole microseconds, PostgreSQL's precision, so the comparison is exact.
struct SpendLogCursor: Equatable {
    var startedAtMicros: Int64
    var requestID: String

    private static let version = "v1"

    /// base64url of `v1:<micros>:<request id>`, without padding.
    var encoded: String {
        Data("\(Self.version):\(startedAtMicros):\(requestID)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    init(startedAtMicros: Int64, requestID: String) {
        self.startedAtMicros = startedAtMicros
        self.requestID = requestID
    }

    /// Reads a cursor made by ``encoded``; nil for anything else.
    init?(encoded text: String) {
        guard text.count <= 512 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.version, let micros = Int64(parts[1]), !parts[2].isEmpty else { return nil }
        self.init(startedAtMicros: micros, requestID: String(parts[2]))
    }
}

/// Timestamps as the usage API writes and binds them, from whole microseconds since 1970 (UTC).
enum UsageTime {
    /// RFC 3339 with microseconds: `2024-05-01T12:00:00.123456Z`.
    static func rfc3339(micros: Int64) -> String {
        let (date, time, fraction) = parts(micros)
        return "\(date)T\(time).\(fraction)Z"
    }

    /// PostgreSQL's input form: `2024-05-01 12:00:00.123456+00`, exact to the microsecond.
    static func postgres(micros: Int64) -> String {
        let (date, time, fraction) = parts(micros)
        return "\(date) \(time).\(fraction)+00"
    }

    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    private static func parts(_ micros: Int64) -> (String, String, String) {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let day = UsageDay(daysSinceEpoch: Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400))
        let secondOfDay = Int(seconds) - day.daysSinceEpoch * 86400
        let time = padded(secondOfDay / 3600, 2) + ":" + padded(secondOfDay / 60 % 60, 2) + ":" + padded(secondOfDay % 60, 2)
        return (day.description, time, padded(Int(fraction), 6))
    }
}

/// `value` in decimal with leading zeros to `width` digits (no `String(format:)`: it is slow on Linux).
func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
