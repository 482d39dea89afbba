/// A request Tollgate refuses, described once and rendered in each caller's dialect.
///
/// `kind` decides the HTTP status and each dialect's error type; `message` is safe to show a client.
public struct DialectError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case invalidRequest        // 400
        case authentication        // 401
        case permission            // 403
        case notFound              // 404
        case conflict              // 409
        case payloadTooLarge       // 413
        case rateLimited           // 429
        case upstreamUnavailable   // 502
        case upstreamTimeout       // 504
        case overloaded            // 503
        case internalError         // 500
    }

    public var kind: Kind
    public var message: String
    /// The request field at fault, when there is one (`messages[0].content`).
    public var param: String?
    /// A machine-readable code (`model_not_found`, `invalid_api_key`).
    public var code: String?

    public init(_ kind: Kind, _ message: String, param: String? = nil, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code
    }

    public var status: Int {
        switch kind {
        case .invalidRequest: 400
        case .authentication: 401
        case .permission: 403
        case .notFound: 404
        case .conflict: 409
        case .payloadTooLarge: 413
        case .rateLimited: 429
        case .internalError: 500
        case .upstreamUnavailable: 502
        case .overloaded: 503
        case .upstreamTimeout: 504
        }
    }
}

extension DialectError {
    /// Describes a `DecodingError` by the path of the field at fault, without echoing the input.
    public init(decoding error: any Error) {
        guard let error = error as? DecodingError else {
            self.init(.invalidRequest, "The request body is not valid JSON.")
            return
        }
        switch error {
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            self.init(.invalidRequest, "The request body must be a JSON object.")
        case .typeMismatch(let type, let context):
            let path = context.codingPath.jsonPath
            self.init(.invalidRequest, "Invalid type for '\(path)': expected \(jsonTypeName(type)).", param: path)
        case .valueNotFound(let type, let context):
            let path = context.codingPath.jsonPath
            self.init(.invalidRequest, "Invalid value for '\(path)': expected \(jsonTypeName(type)), got null.", param: path)
        case .keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).jsonPath
            self.init(.invalidRequest, "Missing required parameter: '\(path)'.", param: path)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init(.invalidRequest, "The request body is not valid JSON.")
            } else {
                let path = context.codingPath.jsonPath
                self.init(.invalidRequest, "Invalid value for '\(path)': \(context.debugDescription)", param: path)
            }
        @unknown default:
            self.init(.invalidRequest, "The request body could not be decoded.")
        }
    }
}

extension [any CodingKey] {
    /// `messages[0].content` style path.
    var jsonPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

private func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "a boolean"
    case is Int.Type, is Int64.Type, is Double.Type: "a number"
    default: "a valid value"
    }
}
