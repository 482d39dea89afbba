public import Dialects
public import Hummingbird
public import HTTPTypes
import NIOCore

/// An error answered to the client in the shape of the dialect its request spoke.
///
/// It carries a ``DialectError`` whose message is safe to show; internal details stay in the logs.
public struct GatewayError: HTTPResponseError {
    public let error: DialectError
    /// Headers to add to the error response (`Retry-After`, `x-ratelimit-*`).
    public var headers: HTTPFields = [:]

    public init(_ error: DialectError) { self.error = error }

    public init(_ kind: DialectError.Kind, _ message: String, param: String? = nil, code: String? = nil) {
        self.error = DialectError(kind, message, param: param, code: code)
    }

    public var status: HTTPResponse.Status { .init(code: error.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Self.response(for: error, dialect: Dialect(request: request))
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    /// The JSON response for `error` in `dialect`'s error shape.
    static func response(for error: DialectError, dialect: Dialect) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        // SDKs retry 5xx and 429 by themselves; a request that cannot succeed should not be retried.
        if error.status < 500 && error.status != 429 { headers[HTTPField.Name("x-should-retry")!] = "false" }
        return Response(
            status: .init(code: error.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: dialect.errorJSON(error)))
        )
    }
}
