import Dialects
import Foundation
import Postgres

// The request and response bodies of `/user/*`, in LiteLLM's field names.

/// `POST /user/new` and `/user/update`: the user, its own fields, and the limits shared with keys and teams
/// (a user has no block of its own: `blocked` is ignored here).
struct UserRequest: AdminRequest {
    var userID: String?
    var userAlias: Patch<String> = .absent
    var userEmail: Patch<String> = .absent
    /// `/user/new` only: whether to make a first key for the user (LiteLLM's default: yes).
    var autoCreateKey: Bool?
    var limits = LimitPatch()

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case userAlias = "user_alias"
        case userEmail = "user_email"
        case autoCreateKey = "auto_create_key"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userID = try c.decodeIfPresent(String.self, forKey: .userID)
        userAlias = try c.decode(Patch<String>.self, forKey: .userAlias)
        userEmail = try c.decode(Patch<String>.self, forKey: .userEmail)
        autoCreateKey = try c.decodeIfPresent(Bool.self, forKey: .autoCreateKey)
        limits = try LimitPatch(from: decoder)
        limits.blocked = .absent
    }

    func validate() throws { try limits.validate() }

    /// The user named by `user_id`: 400 when absent or empty.
    func requiredID() throws -> String {
        guard let userID, !userID.isEmpty else {
            throw GatewayError(.invalidRequest, "Missing required parameter: 'user_id'.", param: "user_id")
        }
        return userID
    }

    /// The columns of `users` this body sets.
    var columns: ColumnValues {
        var columns = limits.columns
        if !userAlias.isAbsent { columns.set("user_alias", PostgresValue(userAlias.value)) }
        if !userEmail.isAbsent { columns.set("user_email", PostgresValue(userEmail.value)) }
        return columns
    }
}

/// `POST /user/delete`.
struct DeleteUsersRequest: AdminRequest {
    var userIDs: [String]?

    enum CodingKeys: String, CodingKey { case userIDs = "user_ids" }

    func validate() throws {
        guard userIDs?.isEmpty == false else {
            throw GatewayError(.invalidRequest, "Name the users to delete in 'user_ids'.", param: "user_ids")
        }
    }
}

/// A `users` row, as `row_to_json` writes it.
struct UserRow: Decodable, Sendable {
    var userID: String
    var userAlias: String?
    var userEmail: String?
    var limits: LimitColumns

    enum CodingKeys: String, CodingKey { case userID = "user_id", userAlias = "user_alias", userEmail = "user_email" }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userID = try c.decode(String.self, forKey: .userID)
        userAlias = try c.decodeIfPresent(String.self, forKey: .userAlias)
        userEmail = try c.decodeIfPresent(String.self, forKey: .userEmail)
        limits = try LimitColumns(from: decoder)
    }
}

/// A user as the admin API answers it (LiteLLM's user object).
struct UserView: Encodable, Sendable {
    var row: UserRow

    enum CodingKeys: String, CodingKey { case userID = "user_id", userAlias = "user_alias", userEmail = "user_email" }

    func encode(to encoder: any Encoder) throws {
        try row.limits.encode(to: encoder, omitting: .spendMicros)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.userID, forKey: .userID)
        try c.encode(row.userAlias, forKey: .userAlias)
        try c.encode(row.userEmail, forKey: .userEmail)
    }
}

/// `POST /user/new`'s answer: the user and, when one was made, its first key's secret, hash and display form.
struct UserNewResponse: Encodable, Sendable {
    var user: UserView
    var key: (secret: String, row: KeyRow)? = nil

    enum CodingKeys: String, CodingKey { case key, token, keyName = "key_name" }

    func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
        guard let key else { return }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key.secret, forKey: .key)
        try c.encode(key.row.keyHash, forKey: .token)
        try c.encode(key.row.display, forKey: .keyName)
    }
}

/// `GET /user/info`: the user and its keys.
struct UserInfoResponse: Encodable, Sendable {
    var userID: String
    var userInfo: UserView
    var keys: [KeyView]

    enum CodingKeys: String, CodingKey { case userID = "user_id", userInfo = "user_info", keys }
}

/// `GET /user/list`.
struct UserListResponse: Encodable, Sendable {
    var users: [UserView]
    var total: Int
    var paging: Paging

    enum CodingKeys: String, CodingKey { case users, total, page, pageSize = "page_size", totalPages = "total_pages" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(users, forKey: .users)
        try c.encode(total, forKey: .total)
        try c.encode(paging.page, forKey: .page)
        try c.encode(paging.size, forKey: .pageSize)
        try c.encode(paging.totalPages(total), forKey: .totalPages)
    }
}

/// `POST /user/delete`'s answer: the users deleted and how many keys went with them.
struct DeleteUsersResponse: Encodable, Sendable {
    var deletedUsers: [String]
    var deletedKeys: Int

    enum CodingKeys: String, CodingKey { case deletedUsers = "deleted_users", deletedKeys = "deleted_keys" }
}
