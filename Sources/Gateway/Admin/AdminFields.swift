import Dialects
import Foundation
import Hummingbird

/// Reads an admin request's JSON object field by field, refusing wrong types and ranges with a message
/// that names the field (`'rpm_limit' must be a non-negative integer`).
///
/// A field that is absent is nil; ``isPresent(_:)`` tells "absent" from an explicit `null`, which
/// updates use to clear a value.
struct AdminFields {
    let object: [String: Any]

    /// Parses `body` as a JSON object.
    init(body: Data) throws {
        guard !body.isEmpty else {
            self.object = [:]
            return
        }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw GatewayError(.invalidRequest, "The request body must be a JSON object.")
        }
        try AdminText.checkJSON(object)
        self.object = object
    }

    init(object: [String: Any]) { self.object = object }

    func isPresent(_ name: String) -> Bool { object[name] != nil }

    /// True when the field is present and `null`.
    func isNull(_ name: String) -> Bool { object[name] is NSNull }

    func string(_ name: String) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw invalid(name, "must be a string") }
        return text
    }

    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name), !text.isEmpty else {
            throw GatewayError(.invalidRequest, "Missing required parameter: '\(name)'.", param: name)
        }
        return text
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, isJSONBoolean(number) else { throw invalid(name, "must be true or false") }
        return number.boolValue
    }

    /// A non-negative whole number, at most `limit` (the column's range: PostgreSQL refuses a larger
    /// `integer` with an error that would otherwise reach the client as a 500).
    func count(_ name: String, atMost limit: Int = 999_999_999_999_999) throws -> Int? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !isJSONBoolean(number), number.doubleValue.rounded() == number.doubleValue,
            number.doubleValue >= 0, number.doubleValue <= Double(limit)
        else { throw invalid(name, "must be a non-negative integer no larger than \(limit)") }
        return number.intValue
    }

    /// A non-negative amount of US dollars, returned in micro-dollars.
    func dollars(_ name: String) throws -> Int64? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !isJSONBoolean(number), number.doubleValue >= 0, number.doubleValue < 1e9 else {
            throw invalid(name, "must be a non-negative number of US dollars")
        }
        return Int64((number.doubleValue * 1_000_000).rounded())
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let list = value as? [Any], let strings = list as? [String] else { throw invalid(name, "must be a list of strings") }
        return strings
    }

    /// A JSON object, returned as JSON text.
    func jsonObject(_ name: String) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard value is [String: Any] else { throw invalid(name, "must be a JSON object") }
        return JSONText.encode(value)
    }

    /// A budget period: `30s`, `30m`, `1h`, `1d`, `7d`, `30d`, `1mo`.
    func period(_ name: String) throws -> String? {
        guard let text = try string(name) else { return nil }
        guard BudgetPeriod.seconds(text) != nil else {
            throw invalid(name, "must be a period such as 1h, 1d, 7d, 30d or 1mo")
        }
        return text
    }

    func invalid(_ name: String, _ rule: String) -> GatewayError {
        GatewayError(.invalidRequest, "'\(name)' \(rule).", param: name)
    }
}

/// Periods written as a number and a unit: `s`, `m`, `h`, `d`, `mo` (30 days, for expiry arithmetic).
enum BudgetPeriod {
    /// The longest period read: 36,500 days. Longer ones are refused, so that no expiry or budget window
    /// computed from a period overflows (an expiry is bound to PostgreSQL in microseconds).
    static let maxSeconds = 36_500 * 86_400

    static func seconds(_ text: String) -> Int? {
        let digits = text.prefix { $0.isNumber }
        guard let number = Int(digits), number > 0 else { return nil }
        let unit: Int
        switch text.dropFirst(digits.count) {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        case "mo": unit = 30 * 86_400
        default: return nil
        }
        guard number <= maxSeconds / unit else { return nil }
        return number * unit
    }
}

/// True for the NSNumber that JSONSerialization makes from `true`/`false` (its C type is `char`).
private func isJSONBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}

/// Reads an admin request's JSON body, bounded like every other body.
enum AdminBody {
    static func read(_ request: Request, limit: Int) async throws -> AdminFields {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        return try AdminFields(body: Data(buffer.readableBytesView))
    }
}
