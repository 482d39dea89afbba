import Dialects
import Foundation
import Hummingbird

/// The query parameters the usage API shares, read and checked once, each refusal a 400 naming the
/// parameter at fault.
///
/// **Dates.** `start_date` and `end_date` take `YYYY-MM-DD` (a whole UTC day) or an RFC 3339 instant
/// (`2024-05-01T12:00:00Z`, fractions and offsets allowed). Both bounds are inclusive: `end_date=2024-05-31`
/// covers all of May 31 (UTC), `end_date=2024-05-31T12:00:00Z` covers up to and including that instant.
/// Daily aggregates (`/usage`, `/…/daily/activity`) are kept per UTC day, so there an instant stands for
/// its whole UTC day.
struct UsageParameters {
    let query: [String: String]

    init(_ request: Request) {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        self.query = query
    }

    init(query: [String: String]) { self.query = query }

    /// A parameter's value; an empty value counts as absent.
    func string(_ name: String) -> String? {
        guard let value = query[name], !value.isEmpty else { return nil }
        return value
    }

    static func invalid(_ name: String, _ message: String) -> GatewayError {
        GatewayError(.invalidRequest, message, param: name)
    }

    // MARK: Numbers

    /// An integer from `range`, or `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw Self.invalid(name, "'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    func flag(_ name: String) throws -> Bool {
        guard let text = string(name) else { return false }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Self.invalid(name, "'\(name)' must be true or false.")
        }
    }

    // MARK: Time

    /// A time bound as written: a whole UTC day, or an instant (microseconds since 1970).
    enum TimeBound: Equatable {
        case day(UsageDay)
        case instant(micros: Int64)

        /// The UTC day it falls in.
        var day: UsageDay {
            switch self {
            case .day(let day): day
            case .instant(let micros): UsageDay(daysSinceEpoch: Int(micros.floorDivided(by: 86_400_000_000)))
            }
        }
    }

    /// `start_date` or `end_date`, or nil when absent.
    func timeBound(_ name: String) throws -> TimeBound? {
        guard let text = string(name) else { return nil }
        if let day = UsageDay(text) { return .day(day) }
        if let micros = Self.rfc3339Micros(text) { return .instant(micros: micros) }
        throw Self.invalid(name, "'\(name)' must be a date (YYYY-MM-DD) or an RFC 3339 time (2024-05-01T12:00:00Z).")
    }

    /// `start_date`…`end_date` as days, both inclusive; the last 30 days (UTC) when absent.
    func dayRange(today: UsageDay) throws -> ClosedRange<UsageDay> {
        let end = try timeBound("end_date")?.day ?? today
        let start = try timeBound("start_date")?.day ?? UsageDay(daysSinceEpoch: end.daysSinceEpoch - 29)
        guard start <= end else { throw Self.invalid("start_date", "'start_date' must not be after 'end_date'.") }
        return start...end
    }

    /// An RFC 3339 time (`2024-05-01T12:00:00Z`, `…:00.123456+02:00`) in microseconds since 1970, exact:
    /// a cursor-precise bound must not lose the microseconds a `Date` formatter would round away.
    static func rfc3339Micros(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] | 0x20 == UInt8(ascii: "t"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let day = UsageDay(String(decoding: bytes[0..<10], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if bytes[index] | 0x20 == UInt8(ascii: "z"), index == bytes.count - 1 {
            offsetSeconds = 0
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"), bytes.count == index + 6,
            bytes[index + 3] == UInt8(ascii: ":"), let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6))
        {
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let seconds = Int64(day.daysSinceEpoch) * 86400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000 + micros
    }

    // MARK: Filters

    /// `api_key` as the `key_id` stored in the log. The key may be named by its secret (`sk-…`, hashed
    /// here and never logged), its 64-digit hash, or its id (a UUID, or `master`). A secret or hash that
    /// names no key (a deleted one) matches no row: the log keeps key ids, and a deleted key's hash is gone.
    func keyID(resolve: (String) async throws -> String?) async throws -> String? {
        guard let reference = string("api_key") else { return nil }
        if let hash = KeySecret.hash(naming: reference) {
            // No key id is 64 hex digits, so an unknown hash filters everything out.
            return try await resolve(hash) ?? hash
        }
        let isUUID = UUID(uuidString: reference) != nil
        guard isUUID || reference == "master" else {
            throw Self.invalid("api_key", "'api_key' must be a key's secret (sk-…), its 64-digit hash, or its id.")
        }
        return isUUID ? reference.lowercased() : reference
    }

    /// `end_user` (or LiteLLM's `customer_id`): the end user to filter on.
    var endUser: String? { string("end_user") ?? string("customer_id") }

    /// `group_by`: a comma-separated subset of `day`, `key`, `user`, `model`, `backend`, `team`, `end_user`, in
    /// the canonical order.
    func groupBy() throws -> [UsageDimension] {
        guard let text = string("group_by") else { return [] }
        var wanted = Set<UsageDimension>()
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            guard let dimension = UsageDimension(rawValue: name) else {
                throw Self.invalid("group_by", "'group_by' takes a comma-separated list of day, key, user, model, backend, team and end_user; '\(name)' is not one.")
            }
            wanted.insert(dimension)
        }
        return UsageDimension.allCases.filter(wanted.contains)
    }

    /// `status`: a `request_log.status`, or LiteLLM's `success` (= ok) and `failure` (= anything else).
    func status() throws -> StatusFilter? {
        guard let text = string("status") else { return nil }
        switch text {
        case "success": return .ok
        case "failure": return .failed
        default:
            guard let outcome = UsageRecord.Outcome(rawValue: text) else {
                let names = ["ok", "client_error", "upstream_error", "timeout", "client_closed", "success", "failure"]
                throw Self.invalid("status", "'status' must be one of \(names.joined(separator: ", ")).")
            }
            return outcome == .ok ? .ok : .exactly(outcome.rawValue)
        }
    }

    enum StatusFilter: Equatable {
        case ok
        case failed
        case exactly(String)
    }
}

/// A way to group usage rows.
enum UsageDimension: String, CaseIterable, Hashable {
    case day, key, user, model, backend, team
    case endUser = "end_user"
}

/// A UTC calendar day, as days since 1970-01-01; compares and steps like an integer.
struct UsageDay: Comparable, Hashable, CustomStringConvertible {
    var daysSinceEpoch: Int

    init(daysSinceEpoch: Int) { self.daysSinceEpoch = daysSinceEpoch }

    init(containing date: Date) {
        daysSinceEpoch = Int((date.timeIntervalSince1970 / 86400).rounded(.down))
    }

    /// Parses `YYYY-MM-DD`, refusing impossible dates (2024-02-30).
    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = Self.days(year: year, month: month, day: day)
        guard Self.civil(days) == (year, month, day) else { return nil }
        daysSinceEpoch = days
    }

    /// Midnight UTC at the start of the day.
    var start: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch) * 86400) }
    /// Midnight UTC at the start of the day, in microseconds since 1970.
    var startMicros: Int64 { Int64(daysSinceEpoch) * 86_400_000_000 }

    /// `YYYY-MM-DD`.
    var description: String {
        let (year, month, day) = Self.civil(daysSinceEpoch)
        return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
    }

    static func < (a: UsageDay, b: UsageDay) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    // Howard Hinnant's days-from-civil and civil-from-days (proleptic Gregorian).
    private static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Division rounding toward minus infinity (days before 1970 stay on their own day).
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
