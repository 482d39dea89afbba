import Dialects
import Foundation
import Hummingbird

/// Users: each with its budget and spend as a meter, and its keys. Teams have a page of the same shape
/// beside it (`UIPages+Teams.swift`).
extension UIPages {
    @Sendable func userList(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let number = try Self.pageNumber(page)
        let size = 25
        let list = try await routes.admin.users.list(Paging(page: number, size: size))
        let total = list.total
        let cells = list.users.map(\.row).map { row -> [HTML] in
            [
                "<a href=\"\(UILayout.path("/ui/users", row.userID))\">\(row.userID)</a>",
                "\(row.userAlias ?? "–")", "\(row.userEmail ?? "–")",
                Self.modelList(row.limits.models ?? []), Self.limits(row.limits), Self.spend(row.limits),
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
        let row = try await routes.admin.users.info(id: id).userInfo.row
        var search = KeySearch()
        search.userID = id
        search.size = 100
        let (keys, total) = try await routes.keyStore.search(search, now: routes.now())
        let facts = UILayout.table(["Field", "Value"], [
            ["User", "<code>\(id)</code>"], ["Alias", "\(row.userAlias ?? "–")"], ["Email", "\(row.userEmail ?? "–")"],
            ["Models", Self.modelList(row.limits.models ?? [])], ["Limits", Self.limits(row.limits)], ["Spend / budget", Self.spend(row.limits)],
        ])
        let keyRows = keys.map { key -> [HTML] in
            [
                "<a href=\"\(UILayout.path("/ui/keys", key.keyHash))\">\(key.alias ?? "(no alias)")</a>", "<code>\(key.display)</code>",
                Self.spend(key.limits), Self.state(blocked: key.blocked),
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
