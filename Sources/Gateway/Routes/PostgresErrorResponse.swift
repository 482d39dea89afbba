import Dialects
public import HTTPTypes
public import Hummingbird
import Logging
public import Postgres

/// A PostgreSQL failure that reaches a route's caller, answered in the caller's dialect: 503 with
/// `Retry-After` when the database is unreachable, busy (no free connection within
/// `database.pool_lease_timeout_ms`) or the statement was cancelled by its deadline; 500 otherwise. The
/// server's own text goes to the log only.
extension PostgresError: HTTPResponseError {
    public var status: HTTPResponse.Status { isTransient ? .serviceUnavailable : .internalServerError }

    /// Whether trying again shortly may succeed.
    private var isTransient: Bool { code == .connectionFailed || code == .poolExhausted || code == .poolClosed || isCancelled }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        context.logger.error("postgres call failed", metadata: ["error": "\(String(reflecting: self))"])
        let error =
            isTransient
            ? DialectError(.overloaded, "The database is unavailable or busy; try again shortly.", code: "database_unavailable")
            : DialectError(.internalError, "Internal error; see the gateway's log for this request id.")
        var response = GatewayError.response(for: error, dialect: Dialect(request: request))
        if isTransient { response.headers[.retryAfter] = "1" }
        return response
    }
}
