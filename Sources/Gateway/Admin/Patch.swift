import Foundation

/// A field of an update body: absent (left as it is), `null` (cleared), or a value.
enum Patch<Value: Decodable & Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// The value, when one was given.
    var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
}

extension Patch: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }
}

extension KeyedDecodingContainer {
    /// Lets a synthesized `Decodable` tell an absent ``Patch`` field from a `null` one.
    func decode<Value>(_ type: Patch<Value>.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        do {
            return .value(try decode(Value.self, forKey: key))
        } catch let error where !(error is DecodingError) {
            // A number that does not fit (`1.5` for an integer) fails with Foundation's internal JSON error, which the
            // decoder later reports as "not valid JSON" with no field name: name the field here.
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: "expected a value of type \(Value.self)"))
        }
    }
}

extension Patch: Equatable where Value: Equatable {}
