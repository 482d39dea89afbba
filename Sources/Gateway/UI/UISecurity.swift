import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The headers and cookies of the dashboard's answers.
///
/// Every page gets a strict Content-Security-Policy — scripts and styles only from `/ui/assets/` on this
/// origin, no inline script or style, no framing, forms posting only here — plus `X-Frame-Options: DENY`,
/// `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` (a page
/// may hold a key's secret once; no cache may keep it).
enum UISecurity {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static let sessionCookie = "tollgate_session"
    /// The sign-in form's CSRF token, compared with the one in its hidden field (before there is a session).
    static let signInCookie = "tollgate_signin"

    static func apply(to headers: inout HTTPFields) {
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "no-store"
    }

    /// An HTML page answer with the security headers.
    static func page(_ html: HTML, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        apply(to: &headers)
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// A 303 to `location` (a path on this gateway).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        apply(to: &headers)
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// Whether the browser reached us over TLS: directly is not possible here (Tollgate speaks plain HTTP),
    /// so through a TLS-terminating proxy that says `X-Forwarded-Proto: https` — or `ui.secure_cookie` forces it.
    static func isSecure(_ request: Request, always: Bool) -> Bool {
        always || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased().split(separator: ",").first == "https"
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/ui`, Secure when `secure`. `maxAge` 0 deletes it.
    static func cookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=/ui; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The value of cookie `name` in the request, if any.
    static func cookie(_ name: String, in request: Request) -> String? {
        request.cookies[name]?.value
    }

    /// Whether the form's CSRF token is the expected one (constant time).
    static func tokenMatches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented, !presented.isEmpty, !expected.isEmpty else { return false }
        return constantTimeEqual(Array(presented.utf8), Array(expected.utf8))
    }
}
