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
