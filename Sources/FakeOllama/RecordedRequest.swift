public import Foundation

/// One HTTP request as the fake received it.
public struct RecordedRequest: Sendable {
    /// HTTP method, e.g. `POST`.
    public var method: String
    /// Path without the query string, e.g. `/api/chat`.
    public var path: String
    /// Raw query string (without `?`), if any.
    public var query: String?
    /// Header fields with lower-cased names, in arrival order (repeated names stay separate).
    public var headerFields: [(name: String, value: String)]
    /// The raw body bytes.
    public var body: Data

    public init(method: String, path: String, query: String?, headerFields: [(name: String, value: String)], body: Data) {
        self.method = method
        self.path = path
        self.query = query
        self.headerFields = headerFields
        self.body = body
    }

    /// Headers keyed by lower-cased name; repeated fields are joined with `", "`.
    public var headers: [String: String] {
        headerFields.reduce(into: [:]) { result, field in
            result[field.name] = result[field.name].map { "\($0), \(field.value)" } ?? field.value
        }
    }

    /// The value of header `name` (case-insensitive), repeated fields joined with `", "`.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with `JSONSerialization` (`[String: Any]`, `[Any]`, ...), or `nil` if it is not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }

    /// The body as a JSON object, or `nil`.
    public var jsonObject: [String: Any]? { json as? [String: Any] }

    /// The body decoded with `JSONDecoder`.
    public func decoded<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: body)
    }
}
