import Dialects
import Foundation
import Redis

/// A signed-in dashboard session: the token its forms must carry (CSRF) and when it ends.
struct UISession: Sendable, Equatable {
    var csrf: String
    var expires: Date
}

/// Dashboard sessions in Redis, so that every gateway replica behind one load balancer knows them.
///
/// The cookie holds a random 256-bit token; Redis holds only its SHA-256 (`tollgate:ui:session:<hash>`
/// → `<expiry seconds> <csrf token>`), with a TTL of `ui.session_ttl_s`, so a copy of Redis gives no
/// usable cookie. Sessions are bounded: a sorted set indexes them by expiry, and creating one past
/// `ui.max_sessions` ends the sessions nearest their expiry first (one Lua script, atomic). The expiry
/// is also checked against the gateway's clock on every read.
struct UISessionStore: Sendable {
    static let keyPrefix = "tollgate:ui:session:"
    static let indexKey = "tollgate:ui:sessions"

    let redis: RedisClient
    let ttlSeconds: Int
    let maxSessions: Int
    let now: @Sendable () -> Date

    /// Starts a session; returns the cookie's token and the session.
    func create() async throws -> (token: String, session: UISession) {
        let token = Self.randomToken()
        let session = UISession(csrf: Self.randomToken(), expires: now().addingTimeInterval(TimeInterval(ttlSeconds)))
        let expiry = String(Int64(session.expires.timeIntervalSince1970))
        _ = try await redis.send([
            "EVAL", Self.createScript, "2", Self.indexKey, Self.key(token),
            String(Int64(now().timeIntervalSince1970)), expiry, String(ttlSeconds), expiry + " " + session.csrf, String(maxSessions),
        ])
        return (token, session)
    }

    /// The live session `token` names, or nil when there is none or it has expired.
    func find(token: String) async throws -> UISession? {
        guard Self.isWellFormed(token), let value = try await redis.send(["GET", Self.key(token)]).string else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let seconds = Int64(parts[0]) else { return nil }
        let session = UISession(csrf: String(parts[1]), expires: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return session.expires > now() ? session : nil
    }

    /// Ends the session `token` names (sign-out).
    func delete(token: String) async throws {
        guard Self.isWellFormed(token) else { return }
        let key = Self.key(token)
        _ = try await redis.send(["DEL", key])
        _ = try await redis.send(["ZREM", Self.indexKey, key])
    }

    static func key(_ token: String) -> String { keyPrefix + KeySecret.hash(token) }

    /// 32 bytes from the system's CSPRNG, URL-safe base64 (43 characters).
    static func randomToken() -> String {
        String(KeySecret.generate().dropFirst(KeySecret.prefix.count))
    }

    /// A token this store could have made: 43 URL-safe base64 characters.
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// KEYS: the index, the new session. ARGV: now, its expiry, TTL, its value, the most sessions kept.
    static let createScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
        redis.call('ZADD', KEYS[1], ARGV[2], KEYS[2])
        local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
        if excess > 0 then
          local oldest = redis.call('ZPOPMIN', KEYS[1], excess)
          for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
        end
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return 1
        """
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
