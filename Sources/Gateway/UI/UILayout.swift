import Dialects
import Foundation

/// The frame every dashboard page shares: head, navigation, sign-out form, and the small helpers the
/// pages build tables and forms from. Nothing here writes user text unescaped (``HTML``).
enum UILayout {
    /// The navigation, in order: path, label.
    static let sections: [(path: String, label: String)] = [
        ("/ui/overview", "Overview"), ("/ui/keys", "Keys"), ("/ui/users", "Users"), ("/ui/teams", "Teams"), ("/ui/usage", "Usage"),
        ("/ui/log", "Request log"), ("/ui/backends", "Backends"), ("/ui/audit", "Audit log"),
    ]

    /// A whole page. `csrf` is the session's token (nil on the sign-in page, which has no navigation).
    static func page(title: String, current: String?, csrf: String?, _ body: HTML) -> HTML {
        let navigation: HTML
        if let csrf {
            let links = sections.map { section -> HTML in
                let marker: HTML = section.path == current ? " aria-current=\"page\"" : ""
                return "<a href=\"\(section.path)\"\(marker)>\(section.label)</a>"
            }
            navigation = """
                <header class="top"><a class="brand" href="/ui/overview">Tollgate</a><nav>\(links)</nav>\
                <form method="post" action="/ui/logout" class="signout">\(csrfField(csrf))<button type="submit">Sign out</button></form></header>
                """
        } else {
            navigation = "<header class=\"top\"><span class=\"brand\">Tollgate</span></header>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Tollgate</title><link rel="stylesheet" href="/ui/assets/app.css"><script src="/ui/assets/app.js" defer></script></head>
            <body>\(navigation)<main><h1>\(title)</h1>\(body)</main></body></html>
            """
    }

    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(token)\">"
    }

    /// A message box: `kind` is `error`, `notice` or `secret`.
    static func message(_ text: String, kind: String = "error") -> HTML {
        "<p class=\"message \(kind)\" role=\"\(kind == "error" ? "alert" : "status")\">\(text)</p>"
    }

    /// A table with a header row; each row's cells are already HTML.
    static func table(_ headers: [String], _ rows: [[HTML]], empty: String = "Nothing here yet.") -> HTML {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>" }
        let head = headers.map { "<th scope=\"col\">\($0)</th>" as HTML }
        let body = rows.map { row in "<tr>\(row.map { "<td>\($0)</td>" as HTML })</tr>" as HTML }
        return "<div class=\"scroll\"><table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    /// A labelled text input.
    static func field(_ label: String, name: String, value: String? = nil, type: String = "text", hint: String? = nil) -> HTML {
        let hintHTML: HTML = hint.map { "<small>\($0)</small>" } ?? ""
        return "<label>\(label)<input type=\"\(type)\" name=\"\(name)\" value=\"\(value ?? "")\">\(hintHTML)</label>"
    }

    /// A POST form of one button (block, delete, …), with the CSRF token.
    static func actionButton(_ label: String, action: String, csrf: String, confirm: String? = nil, danger: Bool = false) -> HTML {
        let confirmation: HTML = confirm.map { " data-confirm=\"\($0)\"" } ?? ""
        let style: HTML = danger ? " class=\"danger\"" : ""
        return """
            <form method="post" action="\(action)" class="inline"\(confirmation)>\(csrfField(csrf))<button type="submit"\(style)>\(label)</button></form>
            """
    }

    /// A path with a query string, every name and value percent-encoded (then escaped once more as HTML where written).
    static func link(_ path: String, _ query: [(String, String?)]) -> String {
        let pairs = query.compactMap { name, value in value.map { (name, $0) } }.filter { !$0.1.isEmpty }
        guard !pairs.isEmpty else { return path }
        return path + "?" + pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        // RFC 3986's unreserved characters, ASCII only; everything else is percent-encoded as UTF-8.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A path segment: `/ui/keys/<hash>`, the segment percent-encoded.
    static func path(_ base: String, _ segment: String) -> String { base + "/" + encode(segment) }
}
