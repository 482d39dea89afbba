import Dialects
import Foundation
import Postgres

// The request and response bodies of `/key/*`, in LiteLLM's field names.

/// The body of `/key/generate`, `/key/update`, `/key/regenerate`, `/key/block` and `/key/unblock`: the key it
/// names (`key`: its secret or hash), the key's own fields, and the limits shared with users and teams.
struct KeyRequest: AdminRequest {
    var key: String?
    var keyAlias: Patch<String> = .absent
    var userID: Patch<String> = .absent
    var teamID: Patch<String> = .absent
    var trustEndUserHeaders: Patch<Bool> = .absent
    /// How long the key lives from now (`30d`); `-1` or `null`: forever. Wins over `expires`.
    var duration: Patch<String> = .absent
    /// When the key expires (ISO 8601); `null`: never.
    var expires: Patch<String> = .absent
    var limits = LimitPatch()

    enum CodingKeys: String, CodingKey {
        case key
        case keyAlias = "key_alias"
        case userID = "user_id"
        case teamID = "team_id"
        case trustEndUserHeaders = "trust_end_user_headers"
        case duration, expires
    }

    init(key: String? = nil) { self.key = key }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key)
        keyAlias = try c.decode(Patch<String>.self, forKey: .keyAlias)
        userID = try c.decode(Patch<String>.self, forKey: .userID)
        teamID = try c.decode(Patch<String>.self, forKey: .teamID)
        trustEndUserHeaders = try c.decode(Patch<Bool>.self, forKey: .trustEndUserHeaders)
        duration = try c.decode(Patch<String>.self, forKey: .duration)
        expires = try c.decode(Patch<String>.self, forKey: .expires)
        limits = try LimitPatch(from: decoder)
    }

    func validate() throws {
        try limits.validate()
        if let text = duration.value, text != "-1", BudgetPeriod.seconds(text) == nil {
            throw LimitPatch.invalid("duration", "must be a duration such as 30s, 30m, 30h or 30d")
        }
        if duration.isAbsent, let text = expires.value, PostgresTime.date(text) == nil {
            throw LimitPatch.invalid("expires", "must be an ISO 8601 time")
        }
    }

    /// The key named by `key`, as its hash: 400 when absent, empty, or neither a secret nor a hash.
    func requiredHash() throws -> String {
        guard let key, !key.isEmpty else { throw GatewayError(.invalidRequest, "Missing required parameter: 'key'.", param: "key") }
        return try KeyAdminService.hash(naming: key)
    }

    /// The columns of `api_keys` this body sets (`expires_at` counted from `now`).
    func columns(now: Date) -> ColumnValues {
        var columns = limits.columns
        if !keyAlias.isAbsent { columns.set("alias", PostgresValue(keyAlias.value)) }
        if !userID.isAbsent { columns.set("user_id", PostgresValue(userID.value)) }
        if !teamID.isAbsent { columns.set("team_id", PostgresValue(teamID.value)) }
        if !trustEndUserHeaders.isAbsent { columns.set("trust_end_user_headers", PostgresValue(trustEndUserHeaders.value)) }
        if !duration.isAbsent {
            let seconds = duration.value.flatMap(BudgetPeriod.seconds)
            columns.set("expires_at", seconds.map { PostgresValue(now.addingTimeInterval(TimeInterval($0))) } ?? .null)
        } else if !expires.isAbsent {
            columns.set("expires_at", expires.value.flatMap { PostgresTime.date($0) }.map { PostgresValue($0) } ?? .null)
        }
        return columns
    }
}

/// `POST /key/delete`: keys by secret or hash, and keys by alias.
struct DeleteKeysRequest: AdminRequest {
    var keys: [String]?
    var keyAliases: [String]?

    enum CodingKeys: String, CodingKey {
        case keys
        case keyAliases = "key_aliases"
    }

    func validate() throws {
        guard keys?.isEmpty == false || keyAliases?.isEmpty == false else {
            throw GatewayError(.invalidRequest, "Name the keys to delete in 'keys' or 'key_aliases'.", param: "keys")
        }
    }
}

/// An `api_keys` row, as `row_to_json` writes it.
struct KeyRow: Decodable, Sendable {
    var keyHash: String
    var display: String
    var alias: String?
    var userID: String?
    var teamID: String?
    var trustEndUserHeaders: Bool?
    var expiresAt: String?
    var blocked: Bool
    var createdBy: String?
    var limits: LimitColumns

    enum CodingKeys: String, CodingKey {
        case keyHash = "key_hash", display, alias, userID = "user_id", teamID = "team_id"
        case trustEndUserHeaders = "trust_end_user_headers", expiresAt = "expires_at", blocked, createdBy = "created_by"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        keyHash = try c.decode(String.self, forKey: .keyHash)
        display = try c.decode(String.self, forKey: .display)
        alias = try c.decodeIfPresent(String.self, forKey: .alias)
        userID = try c.decodeIfPresent(String.self, forKey: .userID)
        teamID = try c.decodeIfPresent(String.self, forKey: .teamID)
        trustEndUserHeaders = try c.decodeIfPresent(Bool.self, forKey: .trustEndUserHeaders)
        expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt)
        blocked = try c.decodeIfPresent(Bool.self, forKey: .blocked) ?? false
        createdBy = try c.decodeIfPresent(String.self, forKey: .createdBy)
        limits = try LimitColumns(from: decoder)
    }
}

/// A key as admin calls show it: identified by its hash (`token`), never by its secret, which only
/// `/key/generate` and `/key/regenerate` add (as `key`).
struct KeyView: Encodable, Sendable {
    var row: KeyRow
    var secret: String?

    enum CodingKeys: String, CodingKey {
        case token, tokenID = "token_id", keyName = "key_name", keyAlias = "key_alias", userID = "user_id", teamID = "team_id"
        case trustEndUserHeaders = "trust_end_user_headers", expires, blocked, key
    }

    func encode(to encoder: any Encoder) throws {
        try row.limits.encode(to: encoder, omitting: .spendMicros)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.keyHash, forKey: .token)
        try c.encode(row.keyHash, forKey: .tokenID)
        try c.encode(row.display, forKey: .keyName)
        try c.encode(row.alias, forKey: .keyAlias)
        try c.encode(row.userID, forKey: .userID)
        try c.encode(row.teamID, forKey: .teamID)
        try c.encode(row.trustEndUserHeaders, forKey: .trustEndUserHeaders)
        try c.encode(row.expiresAt, forKey: .expires)
        try c.encode(row.blocked, forKey: .blocked)
        try c.encodeIfPresent(secret, forKey: .key)
    }
}

/// `GET /key/info`.
struct KeyInfoResponse: Encodable, Sendable {
    var key: String
    var info: KeyView
}

/// `GET /key/list`: hashes, or whole keys with `return_full_object=true`.
struct KeyListResponse: Encodable, Sendable {
    var keys: [KeyView]
    var full: Bool
    var total: Int
    var paging: Paging

    enum CodingKeys: String, CodingKey { case keys, totalCount = "total_count", currentPage = "current_page", totalPages = "total_pages" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if full { try c.encode(keys, forKey: .keys) } else { try c.encode(keys.map(\.row.keyHash), forKey: .keys) }
        try c.encode(total, forKey: .totalCount)
        try c.encode(paging.page, forKey: .currentPage)
        try c.encode(paging.totalPages(total), forKey: .totalPages)
    }
}

/// `POST /key/delete`'s answer: the names given of the keys that existed.
struct DeleteKeysResponse: Encodable, Sendable {
    var deletedKeys: [String]

    enum CodingKeys: String, CodingKey { case deletedKeys = "deleted_keys" }
}
