import Dialects
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// Tags every response, errors included, with `x-tollgate-request-id`, and puts the id on the request's
/// logger. Errors that escape the routes become responses in the request's dialect here; none becomes a bare 500.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let header = HTTPField.Name("x-tollgate-request-id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        var response: Response
        let dialect = Dialect(request: request)
        do {
            response = try await next(request, context)
        } catch let error as GatewayError {
            response = GatewayError.response(for: error.error, dialect: dialect)
            for field in error.headers { response.headers[field.name] = field.value }
        } catch let error as HTTPParserError {
            // The body's framing is broken (RFC 9112 §6-7: bad Transfer-Encoding, chunk size): the client's
            // fault, and nothing after it on this connection can be read, so it is closed after this answer.
            response = GatewayError.response(
                for: DialectError(.invalidRequest, "Malformed HTTP request body framing (\(error)).", code: "malformed_request"), dialect: dialect
            )
            response.headers[.connection] = "close"
        } catch let error as any HTTPResponseError {
            if error.status == .contentTooLarge {
                response = GatewayError.response(for: DialectError(.payloadTooLarge, "The request body is too large."), dialect: dialect)
            } else if error.status == .notFound {
                response = GatewayError.response(
                    for: DialectError(.notFound, "No route for \(request.method) \(request.uri.path).", code: "unknown_url"), dialect: dialect
                )
            } else {
                response = try error.response(from: request, context: context)
            }
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            response = GatewayError.response(
                for: DialectError(.internalError, "Internal error; see the gateway's log for this request id."), dialect: dialect
            )
        }
        response.headers[Self.header] = context.requestID
        // One line per request at debug level (the path only: a query can hold anything).
        context.logger.debug(
            "answered", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)"]
        )
        return response
    }
}
