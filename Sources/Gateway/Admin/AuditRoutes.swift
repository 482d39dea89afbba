import Dialects
import Foundation
import Hummingbird

/// `GET /audit/log`: every admin change, newest first, paginated. Master key only.
struct AuditRoutes: Sendable {
    let store: KeyStore

    @Sendable func log(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let paging = try Paging(request)
        var filters: [(column: String, value: String)] = []
        if let target = request.uri.queryParameters["target_id"] { filters.append(("target_id", String(target))) }
        if let action = request.uri.queryParameters["action"] { filters.append(("action", String(action))) }
        let (rows, total) = try await store.page(of: .audit, filters: filters, page: paging.page, size: paging.size)
        return AdminResponse.json([
            "logs": rows, "total_count": total, "current_page": paging.page, "total_pages": paging.totalPages(total),
        ])
    }
}

/// Lets only the master key through to the admin API.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let masterKey: [UInt8]
    let keys: KeyResolver

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity = try await KeyAuthenticator.identify(
            request.headers, address: context.channel.remoteAddress?.ipAddress, masterKey: masterKey, keys: keys
        )
        guard identity.isMaster else {
            throw GatewayError(.permission, "The admin API needs the master key.", code: "admin_only")
        }
        try AdminText.checkQuery(request)
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}
