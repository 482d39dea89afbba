import Dialects
import Foundation
import HTTPTypes

/// The person behind a request, when a shared key (Open WebUI's, say) serves many people.
///
/// A request names its end user in its body (OpenAI's `user`, Anthropic's `metadata.user_id`) or, when its
/// key trusts them (`trust_end_user_headers` on the key, else `auth.trust_end_user_headers`), in Open WebUI's
/// `X-OpenWebUI-User-Id` header (`-Email`, then `-Name`, when the id is absent). A trusted header wins over
/// the body. The id is recorded in the usage row, and the end user's own limits (`/customer/*`) apply.
enum EndUser {
    /// The longest end-user id accepted, in UTF-8 bytes; a longer one is refused with 400 (it becomes part of
    /// Redis key names and usage rows).
    static let maxBytes = 1024

    static let idHeader = HTTPField.Name("x-openwebui-user-id")!
    static let emailHeader = HTTPField.Name("x-openwebui-user-email")!
    static let nameHeader = HTTPField.Name("x-openwebui-user-name")!

    /// The end user Open WebUI's headers name (id, else email, else name), or nil.
    static func fromHeaders(_ headers: HTTPFields) throws -> String? {
        for name in [idHeader, emailHeader, nameHeader] {
            if let value = headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                return try checked(value, source: name.canonicalName)
            }
        }
        return nil
    }

    /// `value` if it is a usable end-user id; "" is none; too long is a 400 naming `source`.
    static func checked(_ value: String?, source: String) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.utf8.count <= maxBytes else {
            throw GatewayError(.invalidRequest, "'\(source)' names the end user and must be at most \(maxBytes) bytes.", param: source, code: "invalid_end_user")
        }
        return value
    }
}

/// An end user's settings (a `/customer/new` row): limits spanning every key that serves them, and a block.
struct EndUserSettings: Sendable, Equatable {
    var id: String
    var limits: LimitPolicy
    var blocked: Bool

    /// Reads a `row_to_json(end_users)` object.
    init?(row: [String: Any]) {
        guard let id = row["user_id"] as? String else { return nil }
        self.id = id
        self.limits = LimitPolicy(row: row)
        self.blocked = row["blocked"] as? Bool ?? false
    }
}
