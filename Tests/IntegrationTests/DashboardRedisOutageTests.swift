import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// The dashboard while Redis (where its sessions live) is down or frozen: every page and the sign-in answer
/// 503 with a page that says so, within the Redis client's bounds, as docs/dashboard.md promises; when Redis
/// is back, signing in works again. Each test runs its own redis-server.
@Suite("Dashboard with Redis down", .serialized)
struct DashboardRedisOutageTests {
    static let commandTimeoutMs = 1000
    /// The most a page may take while Redis is away: a queued command fails after the command timeout, one
    /// already sent to a frozen Redis after the client's 2 s read timeout; and a margin for a slow machine.
    static let deadline = Duration.milliseconds(max(commandTimeoutMs, 2000) + 2000)
    static let message = "The session store (Redis) is unavailable; try again shortly."

    @Test func stoppedRedisGivesAClearPageInTimeAndSignInWorksOnceItIsBack() async throws {
        try await Self.signedIn { redis, gateway, ui in

            redis.stop()
            try await Self.expectOutagePages(gateway, signedIn: &ui)

            try await redis.start()
            // Back: a sign-in works again within a few seconds (the client reconnects by itself).
            let back = ContinuousClock.now
            var again = DashboardClient(gateway)
            var status = HTTPResponse.Status.serviceUnavailable
            while status != .seeOther && back.duration(to: .now) < .seconds(5) {
                again = DashboardClient(gateway)
                status = try await again.signIn().status
                if status != .seeOther { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .seeOther, "signing in still fails \(back.duration(to: .now)) after Redis returned")
            #expect(try await again.get("/ui/overview").status == .ok)
            // The old session lived only in the Redis that was lost (no persistence here): it has ended.
            let old = try await ui.get("/ui/overview")
            #expect(old.status == .seeOther)
            #expect(old.headers[.location] == "/ui/login?ended=1")
        }
    }

    @Test func frozenRedisGivesTheSamePageWithinTheCommandTimeout() async throws {
        try await Self.signedIn { redis, gateway, ui in

            redis.signal(SIGSTOP)
            defer { redis.signal(SIGCONT) }
            try await Self.expectOutagePages(gateway, signedIn: &ui)

            redis.signal(SIGCONT)
            // Thawed, nothing was lost: the same session opens pages again.
            let back = ContinuousClock.now
            var status = HTTPResponse.Status.serviceUnavailable
            while status != .ok && back.duration(to: .now) < .seconds(5) {
                status = try await ui.get("/ui/overview").status
                if status != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok, "the session still fails \(back.duration(to: .now)) after Redis thawed")
        }
    }

    /// Runs `body` with a Redis of its own, a gateway on it (Redis commands time out after
    /// ``commandTimeoutMs``) and a dashboard client signed in while Redis is up.
    static func signedIn(_ body: @Sendable (PrivateRedis, GatewayHarness, inout DashboardClient) async throws -> Void) async throws {
        let redis = try PrivateRedis()
        try await redis.start()
        defer { redis.stop() }
        try await GatewayHarness.run(configure: {
            $0.redis.url = redis.url
            $0.redis.commandTimeoutMs = commandTimeoutMs
        }) { gateway in
            var ui = DashboardClient(gateway)
            try await ui.signIn()
            #expect(try await ui.get("/ui/overview").status == .ok)
            try await body(redis, gateway, &ui)
        }
    }

    /// A signed-in page and a sign-in each answer 503 with ``message`` within ``deadline``; the sign-in form
    /// itself still shows (it needs no Redis).
    static func expectOutagePages(_ gateway: GatewayHarness, signedIn ui: inout DashboardClient) async throws {
        for path in ["/ui/overview", "/ui/keys", "/ui/teams"] {
            let start = ContinuousClock.now
            let page = try await ui.get(path)
            let took = start.duration(to: .now)
            #expect(took < deadline, "\(path) took \(took) with Redis away")
            #expect(page.status == .serviceUnavailable, "\(path): \(page.status)")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(message), "\(path): \(page.text.prefix(300))")
            print("\(path) with Redis away: \(page.status.code) after \(took)")
        }
        var fresh = DashboardClient(gateway)
        let start = ContinuousClock.now
        let attempt = try await fresh.signIn()
        let took = start.duration(to: .now)
        #expect(took < deadline, "signing in took \(took) with Redis away")
        #expect(attempt.status == .serviceUnavailable)
        #expect(attempt.text.contains(message), "\(attempt.text.prefix(300))")
        #expect(fresh.session == nil, "no session cookie without a session")
    }
}
