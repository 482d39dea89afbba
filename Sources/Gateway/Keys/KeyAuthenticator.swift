import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Authenticates model routes: the master key, or a virtual key (`Authorization: Bearer` or `x-api-key`).
///
/// Virtual keys come from its ``KeyLookup``: in the gateway, the process's ``KeyCache``, or PostgreSQL on a
/// miss (``KeyResolver``). Unknown, blocked and expired keys are refused with a 401 that says which;
/// refusals are not usage and are not logged. A client address that presented too many unknown keys is
/// refused with 429 before its key is looked up (``FailedAuthLimiter``).
struct KeyAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let masterKey: [UInt8]
    let keys: any KeyLookup
    let metrics: GatewayMetrics
    /// Whether keys that do not say (`trust_end_user_headers` null) trust Open WebUI's end-user headers.
    var trustEndUserHeaders = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.identity = try await Self.identify(
                request.headers, address: context.channel.remoteAddress?.ipAddress, masterKey: masterKey, keys: keys
            )
        } catch let error as GatewayError where error.error.kind == .authentication || error.error.code == Self.tooManyFailuresCode {
            metrics.authRejected(code: error.error.code)
            throw error
        }
        if context.identity?.key?.trustsEndUserHeaders ?? trustEndUserHeaders {
            context.identity?.endUser = try EndUser.fromHeaders(request.headers)
        }
        return try await next(request, context)
    }

    static let tooManyFailuresCode = "too_many_failed_auth"

    /// Who presented `headers`. `address` is the client's IP address, which failures are counted against.
    static func identify(_ headers: HTTPFields, address: String?, masterKey: [UInt8], keys: any KeyLookup) async throws -> Identity {
        guard let presented = credential(in: headers), !presented.isEmpty else {
            throw GatewayError(.authentication, "Missing API key: send it as 'Authorization: Bearer <key>'.", code: "missing_api_key")
        }
        if constantTimeEqual(Array(presented.utf8), masterKey) { return .master }
        if let address, let wait = keys.failures.retryAfter(address) {
            let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
            var error = GatewayError(
                .rateLimited, "Too many invalid API keys from this address; try again in \(seconds) s.", code: tooManyFailuresCode
            )
            error.headers[.retryAfter] = String(seconds)
            throw error
        }
        guard presented.hasPrefix(KeySecret.prefix), let key = try await keys.key(secret: presented) else {
            if let address { keys.failures.failed(address) }
            throw GatewayError(.authentication, "Incorrect API key provided.", code: "invalid_api_key")
        }
        if key.blocked {
            throw GatewayError(.authentication, "This API key is blocked.", code: "key_blocked")
        }
        if let team = key.team, team.blocked {
            throw GatewayError(.authentication, "This API key's team '\(team.id)' is blocked.", code: "team_blocked")
        }
        if key.isExpired() {
            let when = key.expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "an earlier time"
            throw GatewayError(.authentication, "This API key expired at \(when).", code: "key_expired")
        }
        return Identity(keyID: key.id, userID: key.userID, key: key)
    }
}

/// Finds virtual keys by secret: the cache first, PostgreSQL on a miss.
struct KeyResolver: Sendable {
    let store: KeyStore
    let cache: KeyCache
    let metrics: GatewayMetrics
    /// Unknown keys per client address, checked before a lookup.
    let failures: FailedAuthLimiter

    func key(secret: String) async throws -> VirtualKey? {
        let hash = KeySecret.hash(secret)
        switch cache.lookup(hash) {
        case .hit(let key):
            return key
        case .miss(let generation):
            do {
                metrics.keyLookedUp()
                let key = try await store.key(hash: hash)
                cache.store(key, for: hash, generation: generation)
                return key
            } catch {
                metrics.postgresFailed()
                throw GatewayError(.overloaded, "The key store is unavailable; try again shortly.", code: "key_store_unavailable")
            }
        }
    }
}

extension KeyAuthenticator {
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    /// The key the caller presented: `Authorization: Bearer <key>` (OpenAI clients) or
    /// `x-api-key: <key>` (Anthropic clients, Claude Code).
    static func credential(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization], let token = bearerCredential(authorization) { return token }
        return headers[apiKeyHeader]
    }

    /// The credential of `Bearer <credential>`: the scheme in any case, spaces and tabs around the
    /// credential dropped; nil for another scheme or an empty credential.
    static func bearerCredential(_ value: String) -> String? {
        let utf8 = value.utf8
        guard let space = utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let scheme = utf8[..<space]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var credential = utf8[utf8.index(after: space)...]
        while let first = credential.first, first == 0x20 || first == 0x09 { credential = credential.dropFirst() }
        while let last = credential.last, last == 0x20 || last == 0x09 { credential = credential.dropLast() }
        return credential.isEmpty ? nil : String(decoding: credential, as: UTF8.self)
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
