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
