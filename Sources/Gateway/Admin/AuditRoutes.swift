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
        let (rows, total) = try await store.page(of: .audit, as: AuditRow.self, filters: filters, page: paging.page, size: paging.size)
        return try AdminJSON.response(AuditLogResponse(logs: rows, total: total, paging: paging))
    }
}

/// An `audit_log` row: who changed what, and the row before and after (keys appear by hash only).
struct AuditRow: Codable, Sendable {
    var id: Int64
    var at: String
    var actor: String
    var action: String
    var targetType: String
    var targetID: String
    var beforeValue: JSONValue?
    var afterValue: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, targetType = "target_type", targetID = "target_id", beforeValue = "before_value", afterValue = "after_value"
    }

    /// Every field is written, `null` when unset.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(at, forKey: .at)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(targetType, forKey: .targetType)
        try c.encode(targetID, forKey: .targetID)
        try c.encode(beforeValue, forKey: .beforeValue)
        try c.encode(afterValue, forKey: .afterValue)
    }
}

/// `GET /audit/log`'s answer.
struct AuditLogResponse: Encodable, Sendable {
    var logs: [AuditRow]
    var total: Int
    var paging: Paging

    enum CodingKeys: String, CodingKey { case logs, totalCount = "total_count", currentPage = "current_page", totalPages = "total_pages" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logs, forKey: .logs)
        try c.encode(total, forKey: .totalCount)
        try c.encode(paging.page, forKey: .currentPage)
        try c.encode(paging.totalPages(total), forKey: .totalPages)
    }
}

/// Lets only the master key through to the admin API.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let masterKey: [UInt8]
    let keys: any KeyLookup

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
