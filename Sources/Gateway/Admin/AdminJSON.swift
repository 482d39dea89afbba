import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Typed admin bodies: a request body decoded into a `Decodable` type and an answer encoded from an
/// `Encodable` one, for the routes that have their own request and response types (teams, customers).
///
/// A body is refused with a 400 that names the field at fault when it is not a JSON object, holds a NUL
/// character (``AdminText``), or has a field of the wrong type.
enum AdminJSON {
    /// Reads `request`'s body (at most `limit` bytes; empty counts as `{}`), checked like every other admin
    /// body: a JSON object with no NUL in any string.
    static func body(of request: Request, limit: Int) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        _ = try AdminFields(body: data)
        return data
    }

    /// Reads `request`'s body as a `T`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try decode(T.self, from: try await body(of: request, limit: limit))
    }

    /// Reads a checked body (``body(of:limit:)``) as a `T`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw refusal(error)
        }
    }

    /// A 400 naming the field a decoding error is about.
    static func refusal(_ error: DecodingError) -> GatewayError {
        func name(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = name(context.codingPath)
            return GatewayError(.invalidRequest, "'\(field)' has the wrong type: \(context.debugDescription)", param: field)
        case .keyNotFound(let key, let context):
            let field = name(context.codingPath + [key])
            return GatewayError(.invalidRequest, "Missing required parameter: '\(field)'.", param: field)
        case .dataCorrupted(let context):
            let field = name(context.codingPath)
            return GatewayError(.invalidRequest, field.isEmpty ? "The request body is not valid JSON." : "'\(field)' is invalid: \(context.debugDescription)", param: field.isEmpty ? nil : field)
        @unknown default:
            return GatewayError(.invalidRequest, "The request body could not be read.")
        }
    }

    /// `value` as a JSON answer. When a change has not reached every gateway yet, the answer says
    /// `"propagation": "pending"` and carries `x-tollgate-propagation: pending`, as the key routes do.
    static func response(_ value: some Encodable, propagation: KeyPropagation = .delivered) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Answer(value: value, pending: propagation == .pending))
        var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        if propagation == .pending { response.headers[AdminResponse.propagationHeader] = "pending" }
        return response
    }

    /// An answer, with `propagation` added beside its own fields when pending.
    private struct Answer<Value: Encodable>: Encodable {
        var value: Value
        var pending: Bool

        enum CodingKeys: String, CodingKey { case propagation }

        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            if pending {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode("pending", forKey: .propagation)
            }
        }
    }
}

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

/// Any JSON value, for free-form fields such as `metadata`.
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as JSON text (for a `jsonb` parameter).
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static let emptyObject = JSONValue.object([:])
}
