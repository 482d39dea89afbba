import Dialects
import Foundation
import Hummingbird

/// Keys: the list with search and filters, create (the secret shown once), the detail page with its
/// edit form, block/unblock, regenerate and delete — each through ``KeyAdminService``, as `/key/*` is.
extension UIPages {
    @Sendable func keyList(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        var search = KeySearch()
        search.text = page.query["q"].flatMap { $0.isEmpty ? nil : $0 }
        search.userID = page.query["user"].flatMap { $0.isEmpty ? nil : $0 }
        switch page.query["status"] ?? "" {
        case "blocked": search.blocked = true
        case "active": search.blocked = false
        default: break
        }
        if page.query["expiring"] == "7d" { search.expiringWithin = 7 * 86_400 }
        search.page = try Self.pageNumber(page)
        let (rows, total) = try await routes.keyStore.search(search, now: routes.now())
        let table = UILayout.table(
            ["Alias", "Key", "User", "Models", "Limits", "Spend / budget", "Expires", "State"],
            rows.map { row in keyCells(row, zone: page.zone) }, empty: "No keys match."
        )
        let status = page.query["status"] ?? ""
        let filters: HTML = """
            <form method="get" action="/ui/keys" class="filters">\
            <label>Search<input type="search" name="q" value="\(search.text)" placeholder="alias, sk-…abcd or user"></label>\
            <label>User<input type="text" name="user" value="\(search.userID)"></label>\
            <label>State<select name="status">\(Self.options([("", "any"), ("active", "active"), ("blocked", "blocked")], selected: status))</select></label>\
            <label>Expiring<select name="expiring">\(Self.options([("", "any time"), ("7d", "within 7 days")], selected: page.query["expiring"] ?? ""))</select></label>\
            <button type="submit">Filter</button></form>
            """
        let query: [(String, String?)] = [("q", search.text), ("user", search.userID), ("status", status), ("expiring", page.query["expiring"])]
        let deleted: HTML = page.query["deleted"] != nil ? UILayout.message("The key is deleted; every gateway refuses it.", kind: "notice") : ""
        let body: HTML = """
            \(deleted)<section class="card"><h2>New key</h2>\(createForm(csrf: page.csrf))</section>
            <section class="card"><h2>Keys <small>\(UIFormat.integer(total)) in all</small></h2>\(filters)\(table)\
            \(Self.pager(path: "/ui/keys", query: query, page: search.page, totalPages: max(1, (total + search.size - 1) / search.size)))</section>
            """
        return render("Keys", section: "/ui/keys", page, body)
    }

    @Sendable func createKey(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let fields = try (page.form ?? UIForm(values: [:])).keyFields(clearing: false)
        let generated = try await routes.keys.generate(fields, actor: "master")
        let hash = generated.row.text("key_hash") ?? ""
        let body: HTML = """
            \(secretBox(generated.secret, alias: generated.row.text("alias")))
            <p><a href="\(UILayout.path("/ui/keys", hash))">Open the key</a> · <a href="/ui/keys">Back to the keys</a></p>
            """
        return render("Key created", section: "/ui/keys", page, body)
    }

    @Sendable func keyDetail(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let hash = try Self.pathValue(page, "hash")
        let row = try await routes.keys.info(reference: hash)
        return render("Key " + (row.text("alias") ?? row.text("display") ?? ""), section: "/ui/keys", page, keyBody(row, page: page))
    }

    /// `update`, `block`, `unblock`, `regenerate` or `delete` the key in the path.
    @Sendable func keyAction(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let hash = try Self.pathValue(page, "hash")
        let form = page.form ?? UIForm(values: [:])
        let named = AdminFields(object: ["key": hash])
        switch try Self.pathValue(page, "action") {
        case "update":
            var object = try form.keyFields(clearing: true).object
            object["key"] = hash
            let change = try await routes.keys.update(AdminFields(object: object), actor: "master")
            return render("Key saved", section: "/ui/keys", page, UILayout.message("Saved.", kind: "notice") + keyBody(change.row, page: page))
        case "block", "unblock":
            let blocked = try Self.pathValue(page, "action") == "block"
            let change = try await routes.keys.setBlocked(blocked, named, actor: "master")
            let note = blocked ? "Blocked: every gateway now refuses this key." : "Unblocked."
            return render("Key " + (blocked ? "blocked" : "unblocked"), section: "/ui/keys", page, UILayout.message(note, kind: "notice") + keyBody(change.row, page: page))
        case "regenerate":
            let result = try await routes.keys.regenerate(reference: hash, fields: AdminFields(object: [:]), actor: "master")
            let newHash = result.change.row.text("key_hash") ?? ""
            let body: HTML = """
                \(secretBox(result.secret, alias: result.change.row.text("alias")))<p>The old secret no longer works.</p>
                <p><a href="\(UILayout.path("/ui/keys", newHash))">Open the key</a></p>
                """
            return render("Key regenerated", section: "/ui/keys", page, body)
        case "delete":
            _ = try await routes.keys.delete(AdminFields(object: ["keys": [hash]]), actor: "master")
            return UISecurity.redirect("/ui/keys?deleted=1")
        default:
            throw GatewayError(.notFound, "No such key action.")
        }
    }

    // MARK: Pieces

    private func keyCells(_ row: [String: Any], zone: TimeZone) -> [HTML] {
        let hash = row.text("key_hash") ?? ""
        let alias = row.text("alias") ?? "(no alias)"
        return [
            "<a href=\"\(UILayout.path("/ui/keys", hash))\">\(alias)</a>",
            "<code>\(row.text("display"))</code>",
            row.text("user_id").map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "–",
            "\(Self.modelList(row.strings("models")))",
            "\(Self.limits(row))",
            "\(Self.spend(row))",
            "\(row.time("expires_at", zone: zone))",
            row.flag("blocked") ? "<span class=\"badge bad\">blocked</span>" : "<span class=\"badge good\">active</span>",
        ]
    }

    private func keyBody(_ row: [String: Any], page: DashboardRoutes.Page) -> HTML {
        let hash = row.text("key_hash") ?? ""
        let base = UILayout.path("/ui/keys", hash)
        let blocked = row.flag("blocked")
        let expires = PostgresTime.date(row["expires_at"]).map { Self.pickerValue($0) }
        let facts = UILayout.table(["Field", "Value"], [
            ["Key", "<code>\(row.text("display"))</code> (the secret is never shown again; regenerate to get a new one)"],
            ["Hash", "<code>\(hash)</code>"],
            ["State", blocked ? "<span class=\"badge bad\">blocked</span>" : "<span class=\"badge good\">active</span>"],
            ["Created", "\(row.time("created_at", zone: page.zone)) by \(row.text("created_by") ?? "–")"],
            ["Spend / budget", "\(Self.spend(row))"],
            ["Metadata", "<code>\(row.jsonText("metadata") ?? "{}")</code>"],
        ])
        let edit: HTML = """
            <form method="post" action="\(base)/update" class="grid">\(UILayout.csrfField(page.csrf))\
            \(UILayout.field("Alias", name: "key_alias", value: row.text("alias")))\
            \(UILayout.field("User", name: "user_id", value: row.text("user_id")))\
            \(UILayout.field("Models", name: "models", value: row.strings("models").joined(separator: ", "), hint: "comma-separated; blank: every model"))\
            \(UILayout.field("Requests per minute", name: "rpm_limit", value: row.text("rpm_limit"), type: "number"))\
            \(UILayout.field("Tokens per minute", name: "tpm_limit", value: row.text("tpm_limit"), type: "number"))\
            \(UILayout.field("Parallel requests", name: "max_parallel_requests", value: row.text("max_parallel_requests"), type: "number"))\
            \(UILayout.field("Budget (USD)", name: "max_budget", value: row.integer("max_budget_micros").map { String(Double($0) / 1_000_000) }, type: "number"))\
            \(UILayout.field("Budget period", name: "budget_duration", value: row.text("budget_duration"), hint: "e.g. 1d, 7d, 1mo"))\
            \(UILayout.field("Expires (UTC)", name: "expires", value: expires, type: "datetime-local", hint: "blank: never"))\
            <label class="wide">Metadata (JSON)<textarea name="metadata" rows="3">\(row.jsonText("metadata") ?? "{}")</textarea></label>\
            <button type="submit">Save</button></form>
            """
        let actions: HTML = """
            <div class="actions">\
            \(blocked ? UILayout.actionButton("Unblock", action: base + "/unblock", csrf: page.csrf) : UILayout.actionButton("Block", action: base + "/block", csrf: page.csrf, danger: true))\
            \(UILayout.actionButton("Regenerate secret", action: base + "/regenerate", csrf: page.csrf, confirm: "The current secret stops working at once. Regenerate?"))\
            \(UILayout.actionButton("Delete", action: base + "/delete", csrf: page.csrf, confirm: "Delete this key for good?", danger: true))\
            <a href="\(UILayout.link("/ui/log", [("api_key", hash)]))">Its requests</a></div>
            """
        return "<section class=\"card\">\(facts)\(actions)</section><section class=\"card\"><h2>Edit</h2>\(edit)</section>"
    }

    private func createForm(csrf: String) -> HTML {
        """
        <form method="post" action="/ui/keys" class="grid">\(UILayout.csrfField(csrf))\
        \(UILayout.field("Alias", name: "key_alias"))\(UILayout.field("User", name: "user_id"))\
        \(UILayout.field("Models", name: "models", hint: "comma-separated; blank: every model"))\
        \(UILayout.field("Requests per minute", name: "rpm_limit", type: "number"))\(UILayout.field("Tokens per minute", name: "tpm_limit", type: "number"))\
        \(UILayout.field("Budget (USD)", name: "max_budget", type: "number"))\(UILayout.field("Budget period", name: "budget_duration", hint: "e.g. 1d, 7d, 1mo"))\
        \(UILayout.field("Expires after", name: "duration", hint: "e.g. 30d; blank: never"))\
        <label class="wide">Metadata (JSON)<textarea name="metadata" rows="2" placeholder="{&quot;team&quot;: &quot;search&quot;}"></textarea></label>\
        <button type="submit">Create key</button></form>
        """
    }

    /// The new secret, once, with a copy button (app.js); the page is `no-store`.
    private func secretBox(_ secret: String, alias: String?) -> HTML {
        """
        <section class="card secret" role="status"><h2>The secret of \(alias ?? "the new key")</h2>\
        <p>Copy it now: it is shown only this once and cannot be recovered.</p>\
        <div class="copyrow"><input id="new-secret" class="secret-value" readonly value="\(secret)">\
        <button type="button" data-copy="new-secret">Copy</button></div></section>
        """
    }

    static func options(_ choices: [(value: String, label: String)], selected: String) -> HTML {
        choices.map { choice -> HTML in
            let marker: HTML = choice.value == selected ? " selected" : ""
            return "<option value=\"\(choice.value)\"\(marker)>\(choice.label)</option>"
        }.joined()
    }

    static func modelList(_ models: [String]) -> HTML {
        models.isEmpty ? "<span class=\"muted\">all</span>" : models.map { "<code>\($0)</code> " as HTML }.joined()
    }

    static func limits(_ row: [String: Any]) -> HTML {
        let parts = [("rpm", row.text("rpm_limit")), ("tpm", row.text("tpm_limit")), ("parallel", row.text("max_parallel_requests"))]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
        return parts.isEmpty ? "<span class=\"muted\">none</span>" : "\(parts.joined(separator: ", "))"
    }

    /// Spend against budget: a meter when there is a budget.
    static func spend(_ row: [String: Any]) -> HTML {
        let spend = row.integer("spend_micros") ?? 0
        guard let budget = row.integer("max_budget_micros"), budget > 0 else { return "\(UIFormat.dollars(micros: spend))" }
        let period: HTML = row.text("budget_duration").map { " / \($0)" } ?? ""
        return """
            <meter min="0" max="\(String(budget))" low="\(String(budget * 8 / 10))" high="\(String(budget * 95 / 100))" optimum="0" value="\(String(min(spend, budget)))"></meter> \
            \(UIFormat.dollars(micros: spend)) of \(UIFormat.dollars(micros: budget))\(period)
            """
    }

    /// A `datetime-local` value (UTC): `2026-05-01T12:00`.
    static func pickerValue(_ date: Date) -> String {
        UIFormat.time(date, zone: TimeZone(identifier: "UTC")!).replacingOccurrences(of: " ", with: "T")
    }
}
