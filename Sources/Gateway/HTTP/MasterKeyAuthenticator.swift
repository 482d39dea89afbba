import Foundation
import Dialects
import HTTPTypes
import Hummingbird

/// Accepts the master key as `Authorization: Bearer <key>` or `x-api-key: <key>`.
///
/// Compared in constant time. Rejections are not usage: they get a 401 and no request-log row.
struct MasterKeyAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    let masterKey: [UInt8]

    init(masterKey: String) { self.masterKey = Array(masterKey.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let presented = Self.credential(in: request.headers) else {
            throw GatewayError(
                .authentication, "Missing API key: send it as 'Authorization: Bearer <key>'.", code: "missing_api_key"
            )
        }
        guard constantTimeEqual(Array(presented.utf8), masterKey) else {
            throw GatewayError(.authentication, "Incorrect API key provided.", code: "invalid_api_key")
        }
        var context = context
        context.identity = .master
        return try await next(request, context)
    }

    /// The key the caller presented, from either header.
    static func credential(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        return headers[apiKeyHeader]
    }
}

/// Compares two byte strings in time that depends only on their lengths, not on where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
