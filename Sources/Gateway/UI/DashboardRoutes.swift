import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The admin dashboard at `/ui`: server-rendered pages over the same admin services as the REST API
/// (``AdminServices``, ``UsageSpendLogRoutes/page(_:)``, ``UsageReportRoutes/report(_:)``, ``KeyStore``).
///
/// Sign-in exchanges the master key for a session (``UISessionStore``); every other page needs one and
/// sends a browser without one to the sign-in page. Every POST must carry the session's CSRF token in its
/// `csrf` field (403 otherwise). Failed sign-ins count against the client's address in the same
/// ``FailedAuthLimiter`` as invalid API keys.
struct DashboardRoutes: Sendable {
    let sessions: UISessionStore
    let masterKey: [UInt8]
    let failures: FailedAuthLimiter
    /// The admin services the REST API calls too.
    let admin: AdminServices
    let keyStore: KeyStore
    let logs: UsageSpendLogRoutes
    let usage: UsageReportRoutes
    let usageStore: UsageStore
    let fleet: Fleet
    let settings: GatewayConfig.UI
    let now: @Sendable () -> Date

    /// What a signed-in page handler is given.
    struct Page: Sendable {
        var session: UISession
        /// The POSTed form (CSRF already checked), nil for a GET.
        var form: UIForm?
        var query: [String: String]
        var parameters: Parameters
        var zone: TimeZone
        var csrf: String { session.csrf }
    }

    typealias Handler = @Sendable (Request, Page) async throws -> Response

    func register(on router: Router<GatewayRequestContext>) {
        router.get("ui") { _, _ in UISecurity.redirect("/ui/overview") }
        router.get("ui/assets/app.js") { _, _ in UIAssets.response(UIAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("ui/assets/app.css") { _, _ in UIAssets.response(UIAssets.stylesheet, type: "text/css; charset=utf-8") }
        router.get("ui/login", use: signInPage)
        router.post("ui/login", use: signIn)
        router.post("ui/logout", use: signedIn(signOut))
        let pages = UIPages(routes: self)
        router.get("ui/overview", use: signedIn(pages.overview))
        router.get("ui/keys", use: signedIn(pages.keyList))
        router.post("ui/keys", use: signedIn(pages.createKey))
        router.get("ui/keys/:hash", use: signedIn(pages.keyDetail))
        router.post("ui/keys/:hash/:action", use: signedIn(pages.keyAction))
        router.get("ui/log", use: signedIn(pages.requestLog))
        router.get("ui/log/:id", use: signedIn(pages.requestDetail))
        router.get("ui/users", use: signedIn(pages.userList))
        router.get("ui/users/:id", use: signedIn(pages.userDetail))
        router.get("ui/teams", use: signedIn(pages.teamList))
        router.get("ui/teams/:id", use: signedIn(pages.teamDetail))
        router.post("ui/teams/:id/:action", use: signedIn(pages.teamAction))
        router.get("ui/usage", use: signedIn(pages.usagePage))
        router.get("ui/usage/export", use: signedIn(pages.usageExport))
        router.get("ui/backends", use: signedIn(pages.backends))
        router.get("ui/audit", use: signedIn(pages.audit))
    }

    // MARK: Sessions

    /// Wraps a page: no live session → the sign-in page; a POST without the session's CSRF token → 403;
    /// an admin error → the error page with its status and message; any other failure → a 503 page (details logged).
    func signedIn(_ handler: @escaping Handler) -> @Sendable (Request, GatewayRequestContext) async throws -> Response {
        { request, context in
            guard let token = UISecurity.cookie(UISecurity.sessionCookie, in: request) else { return UISecurity.redirect("/ui/login") }
            let found: UISession?
            do {
                found = try await sessions.find(token: token)
            } catch {
                return errorPage("The session store (Redis) is unavailable; try again shortly.", status: .serviceUnavailable, csrf: nil)
            }
            guard let session = found else {
                return UISecurity.redirect("/ui/login?ended=1", cookies: [clearedSessionCookie(request)])
            }
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            var page = Page(session: session, form: nil, query: query, parameters: context.parameters, zone: settings.zone)
            do {
                if request.method == .post {
                    let form = try await UIForm.read(request)
                    guard UISecurity.tokenMatches(form.values["csrf"], session.csrf) else {
                        return errorPage("This form is out of date or did not come from this dashboard (CSRF token missing or wrong). Reload the page and try again.", status: .forbidden, csrf: session.csrf)
                    }
                    page.form = form
                }
                return try await handler(request, page)
            } catch let error as GatewayError {
                return errorPage(error.error.message, status: error.status, csrf: session.csrf)
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                return errorPage("The form is too large.", status: .contentTooLarge, csrf: session.csrf)
            } catch {
                // PostgreSQL or Redis failed under the page: the details go to the log, not the page.
                context.logger.error("dashboard page failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
                return errorPage("The page could not be read (the database may be unavailable); see the gateway's log for request \(context.requestID).", status: .serviceUnavailable, csrf: session.csrf)
            }
        }
    }

    @Sendable func signInPage(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        if let token = UISecurity.cookie(UISecurity.sessionCookie, in: request), (try? await sessions.find(token: token)) != nil {
            return UISecurity.redirect("/ui/overview")
        }
        let notice: String? =
            request.uri.queryParameters["ended"] != nil
            ? "Your session has ended; sign in again." : request.uri.queryParameters["signed_out"] != nil ? "You are signed out." : nil
        return signInForm(request, message: notice.map { UILayout.message($0, kind: "notice") } ?? "", status: .ok)
    }

    @Sendable func signIn(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let form: UIForm
        do {
            form = try await UIForm.read(request)
        } catch {
            return signInForm(request, message: UILayout.message("The sign-in form could not be read."), status: .badRequest)
        }
        guard let expected = UISecurity.cookie(UISecurity.signInCookie, in: request), UISecurity.tokenMatches(form.values["csrf"], expected) else {
            return signInForm(request, message: UILayout.message("The sign-in form expired or did not come from this page; try again."), status: .forbidden)
        }
        let address = context.channel.remoteAddress?.ipAddress
        if let address, let wait = failures.retryAfter(address) {
            let seconds = max(1, Int(wait.components.seconds) + 1)
            var response = signInForm(
                request, message: UILayout.message("Too many failed sign-ins from this address; try again in \(seconds) s."), status: .tooManyRequests
            )
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        guard let presented = form.values["master_key"], !presented.isEmpty, constantTimeEqual(Array(presented.utf8), masterKey) else {
            if let address { failures.failed(address) }
            return signInForm(request, message: UILayout.message("That is not this gateway's master key."), status: .unauthorized)
        }
        let created: (token: String, session: UISession)
        do {
            created = try await sessions.create()
        } catch {
            return signInForm(request, message: UILayout.message("The session store (Redis) is unavailable; try again shortly."), status: .serviceUnavailable)
        }
        let secure = UISecurity.isSecure(request, always: settings.secureCookie)
        return UISecurity.redirect("/ui/overview", cookies: [
            UISecurity.cookie(UISecurity.sessionCookie, created.token, maxAge: settings.sessionTTLSeconds, secure: secure),
            UISecurity.cookie(UISecurity.signInCookie, "", maxAge: 0, secure: secure),
        ])
    }

    @Sendable func signOut(_ request: Request, page: Page) async throws -> Response {
        if let token = UISecurity.cookie(UISecurity.sessionCookie, in: request) {
            do { try await sessions.delete(token: token) } catch {
                return errorPage("The session store (Redis) is unavailable; try again shortly.", status: .serviceUnavailable, csrf: page.csrf)
            }
        }
        return UISecurity.redirect("/ui/login?signed_out=1", cookies: [clearedSessionCookie(request)])
    }

    /// The sign-in page, with a fresh token in its form and in a short-lived cookie (double submit: a form
    /// posted from another site has neither this cookie, which is SameSite=Strict, nor its value).
    private func signInForm(_ request: Request, message: HTML, status: HTTPResponse.Status) -> Response {
        let token = UISessionStore.randomToken()
        let body: HTML = """
            \(message)<form method="post" action="/ui/login" class="card signin">\(UILayout.csrfField(token))\
            <label>Master key<input type="password" name="master_key" autocomplete="current-password" required autofocus></label>\
            <button type="submit">Sign in</button></form>
            """
        return UISecurity.page(
            UILayout.page(title: "Sign in", current: nil, csrf: nil, body), status: status,
            cookies: [UISecurity.cookie(UISecurity.signInCookie, token, maxAge: 600, secure: UISecurity.isSecure(request, always: settings.secureCookie))]
        )
    }

    private func clearedSessionCookie(_ request: Request) -> String {
        UISecurity.cookie(UISecurity.sessionCookie, "", maxAge: 0, secure: UISecurity.isSecure(request, always: settings.secureCookie))
    }

    func errorPage(_ message: String, status: HTTPResponse.Status, csrf: String?) -> Response {
        let body: HTML = "\(UILayout.message(message))<p><a href=\"/ui/overview\">Back to the dashboard</a></p>"
        return UISecurity.page(UILayout.page(title: "Error \(String(status.code))", current: nil, csrf: csrf, body), status: status)
    }
}
