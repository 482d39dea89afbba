import Foundation
import Gateway
import HummingbirdTesting
import Postgres
import HTTPTypes
import Locking
import Testing

/// The dashboard's sign-in, sessions, CSRF checks, security headers and escaping, over HTTP against a
/// real gateway (PostgreSQL, Redis, fake Ollama). The browser itself is `DashboardBrowserTests`.
@Suite("Dashboard", .serialized)
struct DashboardTests {
    @Test func pagesNeedASessionAndSignInGivesAStrictCookie() async throws {
        try await GatewayHarness.run { gateway in
            var ui = DashboardClient(gateway)
            let anonymous = try await ui.get("/ui/keys")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/ui/login")

            let login = try await ui.get("/ui/login")
            #expect(login.status == .ok)
            let policy = try #require(login.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
            #expect(login.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(login.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(!login.text.contains("<script>"), "no inline script")

            let wrong = try await ui.signIn(key: "sk-not-the-master-key")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("That is not this gateway&#39;s master key."))
            #expect(ui.session == nil)

            let right = try await ui.signIn()
            #expect(right.status == .seeOther)
            #expect(right.headers[.location] == "/ui/overview")
            let cookie = try #require(DashboardClient.setCookie("tollgate_session", in: right))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=28800"))
            #expect(!cookie.contains("Secure"), "plain HTTP without a TLS proxy: no Secure flag")
            let overview = try await ui.get("/ui/overview")
            #expect(overview.status == .ok)
            #expect(overview.text.contains("<svg class=\"chart\""))

            // Behind a TLS proxy the cookie is Secure.
            var proxied = DashboardClient(gateway)
            let behindTLS = try await proxied.signIn(headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(DashboardClient.setCookie("tollgate_session", in: behindTLS)?.contains("; Secure") == true)
        }
    }

    @Test func turnedOffThereIsNoDashboard() async throws {
        try await GatewayHarness.run(configure: { $0.ui.enabled = false }) { gateway in
            for path in ["/ui/login", "/ui/overview", "/ui/assets/app.js"] {
                let response = try await gateway.get(path, key: "")
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func aFormWithoutTheSessionsTokenIsRefused() async throws {
        try await GatewayHarness.run { gateway in
            var ui = DashboardClient(gateway)
            try await ui.signIn()
            _ = try await ui.get("/ui/keys")
            let missing = try await ui.post("/ui/keys", [("key_alias", "no-token")], csrf: .some(nil))
            #expect(missing.status == .forbidden)
            let forged = try await ui.post("/ui/keys", [("key_alias", "forged")], csrf: "A" + String(repeating: "b", count: 42))
            #expect(forged.status == .forbidden)
            // Another session's token does not do either.
            var other = DashboardClient(gateway)
            try await other.signIn()
            _ = try await other.get("/ui/keys")
            let crossed = try await ui.post("/ui/keys", [("key_alias", "crossed")], csrf: other.csrf)
            #expect(crossed.status == .forbidden)
            let logout = try await ui.post("/ui/logout", [], csrf: .some(nil))
            #expect(logout.status == .forbidden)
            let keys = try await gateway.database.query("SELECT count(*) AS n FROM api_keys")
            #expect(keys.value(0, "n") == "0", "no refused form made a key")

            // With it, the key is made and its secret shown once.
            let made = try await ui.post("/ui/keys", [("key_alias", "with-token"), ("rpm_limit", "5")])
            #expect(made.status == .ok)
            let secret = try #require(made.text.range(of: #"sk-[A-Za-z0-9_-]{43}"#, options: .regularExpression).map { String(made.text[$0]) })
            let hash = try #require(try await gateway.database.query("SELECT key_hash FROM api_keys WHERE alias = 'with-token'").value(0, "key_hash"))
            for path in ["/ui/keys", "/ui/keys/\(hash)", "/ui/audit", "/ui/overview"] {
                let page = try await ui.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.text.contains(secret), "\(path) shows the secret after its creation")
            }
            // A form larger than its bound (UIForm.maxBytes, 64 KiB) is refused.
            let huge = try await ui.post("/ui/keys", [("metadata", String(repeating: "x", count: 64 * 1024 + 1))])
            #expect(huge.status == .contentTooLarge)
            #expect(huge.text.contains("The form is too large."))
            // A value the REST API refuses is refused here with the same message.
            let bad = try await ui.post("/ui/keys", [("key_alias", "bad"), ("rpm_limit", "-1")])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("&#39;rpm_limit&#39; must be a non-negative integer"))
        }
    }

    @Test func anExpiredSessionGoesBackToSignIn() async throws {
        let offset = Locked<TimeInterval>(0)
        try await GatewayHarness.run(configure: { $0.ui.sessionTTLSeconds = 600 }, now: { Date().addingTimeInterval(offset.withLock { $0 }) }) { gateway in
            var ui = DashboardClient(gateway)
            try await ui.signIn()
            #expect(try await ui.get("/ui/keys").status == .ok)
            offset.withLock { $0 = 601 }
            let expired = try await ui.get("/ui/keys")
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location] == "/ui/login?ended=1")
            #expect(DashboardClient.setCookie("tollgate_session", in: expired)?.contains("Max-Age=0") == true)
            let page = try await ui.get("/ui/login?ended=1")
            #expect(page.text.contains("Your session has ended"))
        }
    }

    @Test func signOutEndsTheSessionEverywhere() async throws {
        try await GatewayHarness.run { gateway in
            var ui = DashboardClient(gateway)
            try await ui.signIn()
            _ = try await ui.get("/ui/overview")
            let out = try await ui.post("/ui/logout", [])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/ui/login?signed_out=1")
            // The old cookie, replayed, no longer opens a page.
            let replay = try await ui.get("/ui/overview")
            #expect(replay.status == .seeOther)
        }
    }

    @Test func failedSignInsAreRateLimitedPerAddress() async throws {
        try await GatewayHarness.run(configure: { $0.auth.failedAuthPerMinute = 3 }) { gateway in
            var ui = DashboardClient(gateway)
            for _ in 0..<3 { #expect(try await ui.signIn(key: "wrong").status == .unauthorized) }
            let limited = try await ui.signIn()
            #expect(limited.status == .tooManyRequests, "even the right key waits out the window")
            #expect(limited.text.contains("Too many failed sign-ins"))
            #expect(limited.headers[.retryAfter] != nil)
            #expect(ui.session == nil)
        }
    }

    /// Runs in its own Redis database: trimming the shared session index would end the sessions of the
    /// other dashboard tests running beside it.
    @Test func sessionsAreBoundedOldestEndFirst() async throws {
        let base = try TestServices.redisURL
        let scheme = try #require(base.range(of: "://"))
        let server = base[scheme.upperBound...].prefix { $0 != "/" }
        let ownDatabase = String(base[..<scheme.upperBound]) + server + "/7"
        try await GatewayHarness.run(configure: { $0.ui.maxSessions = 2; $0.redis.url = ownDatabase }) { gateway in
            var first = DashboardClient(gateway)
            try await first.signIn()
            // Later sign-ins expire later; past the bound the earliest-ending session goes.
            try await Task.sleep(for: .milliseconds(1100))
            var second = DashboardClient(gateway)
            try await second.signIn()
            var third = DashboardClient(gateway)
            try await third.signIn()
            #expect(try await first.get("/ui/overview").status == .seeOther, "the oldest session ended")
            #expect(try await second.get("/ui/overview").status == .ok)
            #expect(try await third.get("/ui/overview").status == .ok)
        }
    }

    /// `<script>` in every user-controlled field — key alias, user id, metadata, model name, the user's
    /// alias and email — is shown escaped on every page that shows it.
    @Test func everyUserControlledStringIsEscaped() async throws {
        let evil = "<script>alert(1)</script>"
        try await GatewayHarness.run(configure: { config in
            config.models.append(.init(name: evil, ollamaModel: "llama3.2:latest", inputPricePerMillion: 1, outputPricePerMillion: 1))
        }) { gateway in
            let user = "u\(evil)"
            let created = try await gateway.post(
                "/key/generate",
                json: #"{"key_alias":"a<script>alert(1)</script>","user_id":"u<script>alert(1)</script>","models":["<script>alert(1)</script>"],"metadata":{"<script>alert(1)</script>":"<script>alert(1)</script>"}}"#
            )
            #expect(created.status == .ok, "\(created.text)")
            let key = try #require(created.json?["key"] as? String)
            let hash = try #require(created.json?["token"] as? String)
            let updated = try await gateway.post(
                "/user/update", json: #"{"user_id":"u<script>alert(1)</script>","user_alias":"<script>alert(1)</script>","user_email":"<script>alert(1)</script>@x"}"#
            )
            #expect(updated.status == .ok, "\(updated.text)")
            let chat = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"<script>alert(1)</script>","messages":[{"role":"user","content":"hi"}]}"#, key: key
            )
            #expect(chat.status == .ok, "\(chat.text)")
            let row = try await gateway.logRow(chat.requestID)

            var ui = DashboardClient(gateway)
            try await ui.signIn()
            let userPath = "/ui/users/" + DashboardClient.encode(user)
            let pages = [
                "/ui/keys", "/ui/keys?q=" + DashboardClient.encode("<script>"), "/ui/keys/\(hash)", "/ui/users", userPath,
                "/ui/log", "/ui/log/\(row.column("request_id") ?? "")", "/ui/log?model=" + DashboardClient.encode(evil),
                "/ui/usage?group_by=key", "/ui/usage?group_by=user", "/ui/usage?group_by=model", "/ui/overview", "/ui/overview?range=7d", "/ui/audit",
            ]
            for path in pages {
                let page = try await ui.get(path)
                #expect(page.status == .ok, "\(path): \(page.text.prefix(300))")
                #expect(!page.text.contains("<script>"), "\(path) has an unescaped <script>")
                // usage by model names the Ollama model that served the alias, not the alias.
                if !path.hasSuffix("group_by=model") {
                    #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path) shows the value, escaped")
                }
            }
        }
    }
}
