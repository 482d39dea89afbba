import Dialects
import HTTPTypes
import Hummingbird

/// One route of an admin controller: method, path (under the admin group, which lets only the master key
/// through) and handler.
struct AdminRoute: Sendable {
    typealias Handler = @Sendable (Request, GatewayRequestContext) async throws -> Response

    var method: HTTPRequest.Method
    var path: String
    var handler: Handler

    static func get(_ path: String, _ handler: @escaping Handler) -> AdminRoute { AdminRoute(method: .get, path: path, handler: handler) }
    static func post(_ path: String, _ handler: @escaping Handler) -> AdminRoute { AdminRoute(method: .post, path: path, handler: handler) }

    /// `<prefix>/block` and `<prefix>/unblock`, calling `handler` with whether to block.
    static func blockPair(_ prefix: String, _ handler: @escaping @Sendable (Bool, Request, GatewayRequestContext) async throws -> Response) -> [AdminRoute] {
        [.post(prefix + "/block") { try await handler(true, $0, $1) }, .post(prefix + "/unblock") { try await handler(false, $0, $1) }]
    }
}

/// An admin API controller (`/key/*`, `/user/*`, `/team/*`, `/customer/*`): it lists its routes, reads each
/// body as a typed ``AdminRequest`` and calls its service, which the dashboard calls too. The controllers
/// hold no SQL; their services' stores do.
protocol AdminController: Sendable {
    /// The most bytes an admin body may have.
    var maxBodyBytes: Int { get }
    var routes: [AdminRoute] { get }
}

extension AdminController {
    func register(on group: RouterGroup<GatewayRequestContext>) {
        for route in routes { group.on(RouterPath(route.path), method: route.method, use: route.handler) }
    }

    /// `request`'s body as a `T`, decoded and validated (``AdminJSON``).
    func body<T: AdminRequest>(_ type: T.Type, _ request: Request) async throws -> T {
        try await AdminJSON.read(T.self, from: request, limit: maxBodyBytes)
    }

    /// A required, non-empty query parameter; a 400 naming it otherwise.
    func query(_ request: Request, _ names: String...) throws -> String {
        let parameters = request.uri.queryParameters
        for name in names {
            if let value = parameters[name[...]].map(String.init), !value.isEmpty { return value }
        }
        throw GatewayError(.invalidRequest, "Missing required parameter: '\(names[0])'.", param: names[0])
    }
}

extension GatewayRequestContext {
    /// Who the audit log names for an admin change: the caller's key id (`master` for the master key).
    var adminActor: String { identity?.keyID ?? "master" }
}
