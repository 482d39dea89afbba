import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON answers of the admin API, in LiteLLM's shapes where LiteLLM has them.
enum AdminResponse {
    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let propagationHeader = HTTPField.Name("x-tollgate-propagation")!

    /// An answer to a change of keys or users. When not every gateway has heard of the change yet, it says
    /// so: `"propagation": "pending"` in the object and `x-tollgate-propagation: pending`. Other gateways
    /// then enforce it within a second of Redis being reachable again (see ``KeyEvents``).
    static func json(_ object: [String: Any], propagation: KeyPropagation) -> Response {
        guard propagation == .pending else { return json(object) }
        var object = object
        object["propagation"] = "pending"
        var response = json(object)
        response.headers[propagationHeader] = "pending"
        return response
    }

    /// A key as admin calls show it: identified by its hash (`token`), never by its secret, which
    /// only `/key/generate` and `/key/regenerate` add (as `key`).
    static func key(_ row: [String: Any], secret: String? = nil) -> [String: Any] {
        var view = shared(row)
        view["token"] = row["key_hash"] ?? NSNull()
        view["token_id"] = row["key_hash"] ?? NSNull()
        view["key_name"] = row["display"] ?? NSNull()
        view["key_alias"] = row["alias"] ?? NSNull()
        view["user_id"] = row["user_id"] ?? NSNull()
        view["team_id"] = row["team_id"] ?? NSNull()
        view["trust_end_user_headers"] = row["trust_end_user_headers"] ?? NSNull()
        view["expires"] = row["expires_at"] ?? NSNull()
        view["blocked"] = row["blocked"] ?? false
        if let secret { view["key"] = secret }
        return view
    }

    static func user(_ row: [String: Any]) -> [String: Any] {
        var view = shared(row)
        view["user_id"] = row["user_id"] ?? NSNull()
        view["user_alias"] = row["user_alias"] ?? NSNull()
        view["user_email"] = row["user_email"] ?? NSNull()
        return view
    }

    /// What keys and users have alike: models, limits, budget and spend (in dollars), metadata, times.
    private static func shared(_ row: [String: Any]) -> [String: Any] {
        [
            "models": row["models"] ?? [String](),
            "rpm_limit": row["rpm_limit"] ?? NSNull(),
            "tpm_limit": row["tpm_limit"] ?? NSNull(),
            "max_parallel_requests": row["max_parallel_requests"] ?? NSNull(),
            "max_budget": dollars(row["max_budget_micros"]),
            "budget_duration": row["budget_duration"] ?? NSNull(),
            "budget_reset_at": row["budget_reset_at"] ?? NSNull(),
            "spend": dollars(row["spend_micros"]) is NSNull ? 0.0 : dollars(row["spend_micros"]),
            "metadata": row["metadata"] ?? [String: Any](),
            "created_at": row["created_at"] ?? NSNull(),
            "updated_at": row["updated_at"] ?? NSNull(),
        ]
    }

    /// Micro-dollars as dollars, or null.
    static func dollars(_ micros: Any?) -> Any {
        guard let number = micros as? NSNumber else { return NSNull() }
        return number.doubleValue / 1_000_000
    }
}

/// `page` and `size` query parameters, with LiteLLM's defaults and a cap of 100 per page.
struct Paging {
    var page: Int
    var size: Int

    init(_ request: Request, sizeName: String = "size") throws {
        let query = request.uri.queryParameters
        page = 1
        size = 10
        if let text = query["page"].map(String.init) {
            guard let value = Int(text), value >= 1 else { throw GatewayError(.invalidRequest, "'page' must be a positive integer.", param: "page") }
            page = value
        }
        if let text = query[sizeName[...]].map(String.init) {
            guard let value = Int(text), (1...100).contains(value) else {
                throw GatewayError(.invalidRequest, "'\(sizeName)' must be from 1 to 100.", param: sizeName)
            }
            size = value
        }
    }

    func totalPages(_ total: Int) -> Int { max(1, (total + size - 1) / size) }
}
