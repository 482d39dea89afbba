import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Drives the dashboard over HTTP as a browser would: cookies, form posts and the CSRF token in each form.
struct DashboardClient {
    let gateway: GatewayHarness
    /// `tollgate_session`'s value once signed in.
    var session: String?
    /// The CSRF token of the last signed-in page read.
    var csrf: String?

    init(_ gateway: GatewayHarness) { self.gateway = gateway }

    /// GETs `path` with the session cookie (if any).
    mutating func get(_ path: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let session { headers[.cookie] = "tollgate_session=\(session)" }
        let response = try await gateway.client.execute(uri: path, method: .get, headers: headers, body: nil)
        if let token = Self.csrfToken(in: response.text) { csrf = token }
        return response
    }

    /// POSTs `fields` as a form with the session cookie and, unless `csrf` says otherwise, the page's token.
    mutating func post(_ path: String, _ fields: [(String, String)], csrf override: String?? = .none, cookie: String? = nil) async throws -> TestResponse {
        var fields = fields
        let token: String? = override ?? csrf
        if let token { fields.append(("csrf", token)) }
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie } else if let session { headers[.cookie] = "tollgate_session=\(session)" }
        let body = fields.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
        return try await gateway.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Signs in with `key`; returns the sign-in answer (303 on success, with the session cookie kept).
    @discardableResult
    mutating func signIn(key: String = GatewayHarness.masterKey, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        let form = try await gateway.client.execute(uri: "/ui/login", method: .get, headers: extra, body: nil)
        let token = try #require(Self.csrfToken(in: form.text), "the sign-in form has a token")
        let signInCookie = try #require(Self.cookie("tollgate_signin", in: form), "the sign-in page sets its cookie")
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        headers[.cookie] = "tollgate_signin=\(signInCookie)"
        let body = "master_key=\(Self.encode(key))&csrf=\(Self.encode(token))"
        let response = try await gateway.client.execute(uri: "/ui/login", method: .post, headers: headers, body: ByteBuffer(string: body))
        if let session = Self.cookie("tollgate_session", in: response), !session.isEmpty { self.session = session }
        return response
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    /// The value `Set-Cookie` gives cookie `name`, if the response sets it.
    static func cookie(_ name: String, in response: TestResponse) -> String? {
        setCookie(name, in: response).map { String($0.dropFirst(name.count + 1).prefix { $0 != ";" }) }
    }

    /// The whole `Set-Cookie` line for `name`.
    static func setCookie(_ name: String, in response: TestResponse) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }
}
