import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A typed admin request body. ``AdminJSON`` decodes every body into one of these and then runs its
/// ``validate()``, so each face of the admin layer (REST and the dashboard's forms) refuses the same input
/// with the same 400.
///
/// Fields a type does not name are ignored, as LiteLLM ignores them (its request models accept extra
/// fields), so a LiteLLM script that sends fields Tollgate does not implement still works.
protocol AdminRequest: Decodable, Sendable {
    /// Refuses values that decode but are out of range (a negative budget, an unknown period), with a 400
    /// naming the field.
    func validate() throws
}

extension AdminRequest {
    func validate() throws {}
}

/// Typed admin bodies: a request body decoded into an ``AdminRequest`` and an answer encoded from an
/// `Encodable` one.
///
/// A body is refused with a 400 that names the field at fault when it is not a JSON object, holds a NUL
/// character, has a field of the wrong type, or fails its type's `validate()`.
enum AdminJSON {
    static let propagationHeader = HTTPField.Name("x-tollgate-propagation")!

    /// Reads `request`'s body (at most `limit` bytes; empty counts as `{}`) as a `T`.
    static func read<T: AdminRequest>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        return try decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// Checks `data` (a JSON object with no NUL in any string; empty counts as `{}`), decodes it as a `T` and
    /// validates it.
    static func decode<T: AdminRequest>(_ type: T.Type, from data: Data) throws -> T {
        let data = data.isEmpty ? Data("{}".utf8) : data
        try check(data)
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw refusal(error)
        }
        try value.validate()
        return value
    }

    /// Refuses a body that is not a JSON object, or holds a NUL in a string or name at any depth (PostgreSQL
    /// ends a text parameter at a NUL), naming the top-level field it is in.
    static func check(_ data: Data) throws {
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw GatewayError(.invalidRequest, "The request body must be a JSON object.")
        }
        for (name, value) in object where name.utf8.contains(0) || containsNUL(value) {
            let field = name.utf8.contains(0) ? "body" : name
            throw AdminText.invalid(field)
        }
    }

    private static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.utf8.contains(0)
        case .array(let values): values.contains(where: containsNUL)
        case .object(let object): object.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        case .null, .bool, .number: false
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
            return GatewayError(
                .invalidRequest, field.isEmpty ? "The request body is not valid JSON." : "'\(field)' is invalid: \(context.debugDescription)",
                param: field.isEmpty ? nil : field
            )
        @unknown default:
            return GatewayError(.invalidRequest, "The request body could not be read.")
        }
    }

    /// `value` as a JSON answer. When a change has not reached every gateway yet, the answer says
    /// `"propagation": "pending"` and carries `x-tollgate-propagation: pending`; other gateways then enforce
    /// the change within a second of Redis being reachable again (see ``KeyEvents``).
    static func response(_ value: some Encodable, propagation: KeyPropagation = .delivered) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Answer(value: value, pending: propagation == .pending))
        var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        if propagation == .pending { response.headers[propagationHeader] = "pending" }
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

/// `page` and `size` query parameters, with LiteLLM's defaults and a cap of 100 per page.
struct Paging: Sendable {
    var page: Int
    var size: Int

    init(page: Int, size: Int) {
        self.page = page
        self.size = size
    }

    init(_ request: Request, sizeName: String = "size") throws {
        let query = request.uri.queryParameters
        page = 1
        size = 10
        if let text = query["page"].map(String.init) {
            guard let value = Int(text), value >= 1 else { throw GatewayError(.invalidRequest, "'page' must be a positive integer.", param: "page") }
            page = value
        }
        if let text = query[sizeName[...]].map(String.init) {
            guard let value = Int(text), (1...100).contains(value) else {
                throw GatewayError(.invalidRequest, "'\(sizeName)' must be from 1 to 100.", param: sizeName)
            }
            size = value
        }
    }

    func totalPages(_ total: Int) -> Int { max(1, (total + size - 1) / size) }
}
