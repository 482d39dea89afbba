import Dialects
import Foundation
import Hummingbird

/// Users: each with its budget and spend as a meter, and its keys. Teams (once they exist) get a
/// page of the same shape beside it: a list of owners, each with a budget bar and the keys it owns.
extension UIPages {
    @Sendable func userList(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let number = try Self.pageNumber(page)
        let size = 25
        let (rows, total) = try await routes.keyStore.page(of: .users, filters: [], page: number, size: size)
        let cells = rows.map { row -> [HTML] in
            let id = row.text("user_id") ?? ""
            return [
                "<a href=\"\(UILayout.path("/ui/users", id))\">\(id)</a>",
                "\(row.text("user_alias") ?? "–")", "\(row.text("user_email") ?? "–")",
                "\(Self.modelList(row.strings("models")))", "\(Self.limits(row))", "\(Self.spend(row))",
            ]
        }
        let body: HTML = """
            <section class="card">\(UILayout.table(["User", "Alias", "Email", "Models", "Limits", "Spend / budget"], cells, empty: "No users yet: a key made for a user id creates it."))\
            \(Self.pager(path: "/ui/users", query: [], page: number, totalPages: max(1, (total + size - 1) / size)))</section>
            """
        return render("Users", section: "/ui/users", page, body)
    }

    @Sendable func userDetail(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let id = try Self.pathValue(page, "id")
        guard let row = try await routes.keyStore.userRow(id: id) else { throw UserAdminRoutes.notFound() }
        var search = KeySearch()
        search.userID = id
        search.size = 100
        let (keys, total) = try await routes.keyStore.search(search, now: routes.now())
        let facts = UILayout.table(["Field", "Value"], [
            ["User", "<code>\(id)</code>"], ["Alias", "\(row.text("user_alias") ?? "–")"], ["Email", "\(row.text("user_email") ?? "–")"],
            ["Models", Self.modelList(row.strings("models"))], ["Limits", Self.limits(row)], ["Spend / budget", Self.spend(row)],
        ])
        let keyRows = keys.map { key -> [HTML] in
            let hash = key.text("key_hash") ?? ""
            return [
                "<a href=\"\(UILayout.path("/ui/keys", hash))\">\(key.text("alias") ?? "(no alias)")</a>", "<code>\(key.text("display"))</code>",
                Self.spend(key), key.flag("blocked") ? "<span class=\"badge bad\">blocked</span>" : "<span class=\"badge good\">active</span>",
            ]
        }
        let body: HTML = """
            <section class="card">\(facts)<p><a href="\(UILayout.link("/ui/usage", [("user_id", id), ("group_by", "day")]))">Its usage</a> · \
            <a href="\(UILayout.link("/ui/log", [("user_id", id)]))">Its requests</a></p></section>
            <section class="card"><h2>Keys <small>\(UIFormat.integer(total))</small></h2>\(UILayout.table(["Alias", "Key", "Spend / budget", "State"], keyRows, empty: "This user has no keys."))</section>
            """
        return render("User " + id, section: "/ui/users", page, body)
    }
}
