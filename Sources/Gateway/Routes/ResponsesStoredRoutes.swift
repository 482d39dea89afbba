import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/responses/{id}`, `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`: a key's
/// stored responses (wire-formats §8.7). Another key's response, or one never stored, is a 404.
struct ResponsesStoredRoutes: Sendable {
    let store: ResponsesStore

    func retrieve(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let stored = try await find(context)
        return Self.answer(stored.response.bytes)
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try Self.id(context)
        guard try await store.delete(id: id, owner: Self.owner(context)) else { throw Self.notFound(id) }
        let json = JSON.object([
            JSONMember("id", .string(id)), JSONMember("object", .string("response")), JSONMember("deleted", .bool(true)),
        ])
        return Self.answer(json.bytes)
    }

    /// One cursor page of the response's input items: `after` (an item id), `limit` 1–100 (default 20),
    /// `order` `asc` or `desc` (default, newest first).
    func inputItems(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let stored = try await find(context)
        let query = request.uri.queryParameters
        var limit = 20
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...100).contains(value) else {
                throw GatewayError(.invalidRequest, "Invalid value for 'limit': expected an integer from 1 to 100.", param: "limit")
            }
            limit = value
        }
        let order = query["order"].map(String.init) ?? "desc"
        guard order == "asc" || order == "desc" else {
            throw GatewayError(.invalidRequest, "Invalid value for 'order': expected 'asc' or 'desc'.", param: "order")
        }
        var items = stored.inputItems
        if order == "desc" { items.reverse() }
        if let after = query["after"].map(String.init) {
            guard let position = items.firstIndex(where: { $0["id"]?.string == after }) else {
                throw GatewayError(.invalidRequest, "Invalid value for 'after': no input item with id '\(after)'.", param: "after")
            }
            items.removeFirst(position + 1)
        }
        let page = Array(items.prefix(limit))
        let body = JSON.object([
            JSONMember("object", .string("list")), JSONMember("data", .array(page)),
            JSONMember("first_id", page.first?["id"] ?? .null), JSONMember("last_id", page.last?["id"] ?? .null),
            JSONMember("has_more", .bool(items.count > page.count)),
        ])
        return Self.answer(body.bytes)
    }

    private func find(_ context: GatewayRequestContext) async throws -> ResponsesStore.Stored {
        let id = try Self.id(context)
        guard let stored = try await store.load(id: id, owner: Self.owner(context)) else { throw Self.notFound(id) }
        return stored
    }

    private static func id(_ context: GatewayRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else { throw notFound("") }
        return id
    }

    private static func owner(_ context: GatewayRequestContext) -> String { context.identity?.keyID ?? "anonymous" }

    private static func notFound(_ id: String) -> GatewayError {
        GatewayError(.notFound, "No response found with id '\(id)'.", param: "response_id", code: "response_not_found")
    }

    private static func answer(_ body: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
