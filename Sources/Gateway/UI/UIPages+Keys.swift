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
        let fields = try (page.form ?? UIForm(values: [:])).keyRequest(clearing: false)
        let generated = try await routes.admin.keys.generate(fields, actor: "master")
        let hash = generated.row.keyHash
        let body: HTML = """
            \(secretBox(generated.secret, alias: generated.row.alias))
            <p><a href="\(UILayout.path("/ui/keys", hash))">Open the key</a> · <a href="/ui/keys">Back to the keys</a></p>
            """
        return render("Key created", section: "/ui/keys", page, body)
    }

    @Sendable func keyDetail(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let hash = try Self.pathValue(page, "hash")
        let row = try await routes.admin.keys.info(reference: hash)
        return render("Key " + (row.alias ?? row.display), section: "/ui/keys", page, keyBody(row, page: page))
    }

    /// `update`, `block`, `unblock`, `regenerate` or `delete` the key in the path.
    @Sendable func keyAction(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let hash = try Self.pathValue(page, "hash")
        let form = page.form ?? UIForm(values: [:])
        let named = KeyRequest(key: hash)
        switch try Self.pathValue(page, "action") {
        case "update":
            var fields = try form.keyRequest(clearing: true)
            fields.key = hash
            let change = try await routes.admin.keys.update(fields, actor: "master")
            return render("Key saved", section: "/ui/keys", page, UILayout.message("Saved.", kind: "notice") + keyBody(change.row, page: page))
        case "block", "unblock":
            let blocked = try Self.pathValue(page, "action") == "block"
            let change = try await routes.admin.keys.setBlocked(blocked, named, actor: "master")
            let note = blocked ? "Blocked: every gateway now refuses this key." : "Unblocked."
            return render("Key " + (blocked ? "blocked" : "unblocked"), section: "/ui/keys", page, UILayout.message(note, kind: "notice") + keyBody(change.row, page: page))
        case "regenerate":
            let result = try await routes.admin.keys.regenerate(reference: hash, KeyRequest(), actor: "master")
            let newHash = result.change.row.keyHash
            let body: HTML = """
                \(secretBox(result.secret, alias: result.change.row.alias))<p>The old secret no longer works.</p>
                <p><a href="\(UILayout.path("/ui/keys", newHash))">Open the key</a></p>
                """
            return render("Key regenerated", section: "/ui/keys", page, body)
        case "delete":
            _ = try await routes.admin.keys.delete(DeleteKeysRequest(keys: [hash]), actor: "master")
            return UISecurity.redirect("/ui/keys?deleted=1")
        default:
            throw GatewayError(.notFound, "No such key action.")
        }
    }

    // MARK: Pieces

    private func keyCells(_ row: KeyRow, zone: TimeZone) -> [HTML] {
        [
            "<a href=\"\(UILayout.path("/ui/keys", row.keyHash))\">\(row.alias ?? "(no alias)")</a>",
            "<code>\(row.display)</code>",
            row.userID.map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "–",
            Self.modelList(row.limits.models ?? []),
            Self.limits(row.limits),
            Self.spend(row.limits),
            "\(Self.time(row.expiresAt, zone: zone))",
            Self.state(blocked: row.blocked),
        ]
    }

    private func keyBody(_ row: KeyRow, page: DashboardRoutes.Page) -> HTML {
        let hash = row.keyHash
        let base = UILayout.path("/ui/keys", hash)
        let blocked = row.blocked
        let limits = row.limits
        let expires = PostgresTime.date(row.expiresAt).map { Self.pickerValue($0) }
        let facts = UILayout.table(["Field", "Value"], [
            ["Key", "<code>\(row.display)</code> (the secret is never shown again; regenerate to get a new one)"],
            ["Hash", "<code>\(hash)</code>"],
            ["State", Self.state(blocked: blocked)],
            ["Created", "\(Self.time(limits.createdAt, zone: page.zone)) by \(row.createdBy ?? "–")"],
            ["Spend / budget", Self.spend(limits)],
            ["Metadata", "<code>\(limits.metadata.text)</code>"],
        ])
        let edit: HTML = """
            <form method="post" action="\(base)/update" class="grid">\(UILayout.csrfField(page.csrf))\
            \(UILayout.field("Alias", name: "key_alias", value: row.alias))\
            \(UILayout.field("User", name: "user_id", value: row.userID))\
            \(UILayout.field("Models", name: "models", value: (limits.models ?? []).joined(separator: ", "), hint: "comma-separated; blank: every model"))\
            \(UILayout.field("Requests per minute", name: "rpm_limit", value: limits.rpmLimit.map(String.init), type: "number"))\
            \(UILayout.field("Tokens per minute", name: "tpm_limit", value: limits.tpmLimit.map(String.init), type: "number"))\
            \(UILayout.field("Parallel requests", name: "max_parallel_requests", value: limits.maxParallelRequests.map(String.init), type: "number"))\
            \(UILayout.field("Budget (USD)", name: "max_budget", value: limits.maxBudget.map { String($0) }, type: "number"))\
            \(UILayout.field("Budget period", name: "budget_duration", value: limits.budgetDuration, hint: "e.g. 1d, 7d, 1mo"))\
            \(UILayout.field("Expires (UTC)", name: "expires", value: expires, type: "datetime-local", hint: "blank: never"))\
            <label class="wide">Metadata (JSON)<textarea name="metadata" rows="3">\(limits.metadata.text)</textarea></label>\
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

    static func limits(_ row: LimitColumns) -> HTML {
        let parts = [("rpm", row.rpmLimit.map(Int64.init)), ("tpm", row.tpmLimit), ("parallel", row.maxParallelRequests.map(Int64.init))]
            .compactMap { name, value in value.map { "\(name) \($0)" } }
        return parts.isEmpty ? "<span class=\"muted\">none</span>" : "\(parts.joined(separator: ", "))"
    }

    /// A blocked or active badge.
    static func state(blocked: Bool) -> HTML {
        blocked ? "<span class=\"badge bad\">blocked</span>" : "<span class=\"badge good\">active</span>"
    }

    /// Spend against budget: a meter when there is a budget.
    static func spend(_ row: LimitColumns) -> HTML {
        let spend = row.spendMicros
        guard let budget = row.maxBudgetMicros, budget > 0 else { return "\(UIFormat.dollars(micros: spend))" }
        let period: HTML = row.budgetDuration.map { " / \($0)" } ?? ""
        return """
            <meter min="0" max="\(String(budget))" low="\(String(budget * 8 / 10))" high="\(String(budget * 95 / 100))" optimum="0" value="\(String(min(spend, budget)))"></meter> \
            \(UIFormat.dollars(micros: spend)) of \(UIFormat.dollars(micros: budget))\(period)
            """
    }

    /// A timestamp column's text shown in `zone`, or "–".
    static func time(_ text: String?, zone: TimeZone) -> String {
        PostgresTime.date(text).map { UIFormat.time($0, zone: zone) } ?? "–"
    }

    /// A `datetime-local` value (UTC): `2026-05-01T12:00`.
    static func pickerValue(_ date: Date) -> String {
        UIFormat.time(date, zone: TimeZone(identifier: "UTC")!).replacingOccurrences(of: " ", with: "T")
    }
}
