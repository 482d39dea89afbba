import Dialects
import Foundation
import Hummingbird

/// Backends: the fleet as the gateway sees it now (health, in-flight calls, models listed and loaded)
/// and today's latency per backend from the usage report; and the audit log.
extension UIPages {
    @Sendable func backends(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let today = UsageDay(containing: routes.now()).description
        let report = try await routes.usage.report(UsageParameters(query: ["start_date": today, "end_date": today, "group_by": "backend"]))
        var latency: [String: UsageMetrics] = [:]
        for row in report.rows { if let name = row.group.backend { latency[name] = row.metrics } }
        let cells = routes.fleet.report().map { backend -> [HTML] in
            let metrics = latency[backend.name]
            let state: HTML =
                backend.status == "up" ? "<span class=\"badge good\">up</span>" : "<span class=\"badge bad\">\(backend.status.replacingOccurrences(of: "_", with: " "))</span>"
            return [
                "<code>\(backend.name)</code>", state, "\(String(backend.inFlight))", "\(String(backend.models))",
                "\(UIFormat.integer(metrics?.requests ?? 0))",
                "\(UIFormat.milliseconds(metrics?.latencyP50Ms)) / \(UIFormat.milliseconds(metrics?.latencyP95Ms))",
            ]
        }
        let loaded = routes.fleet.runningEntries().compactMap { $0["name"]?.string }
        let body: HTML = """
            <section class="card">\(UILayout.table(["Backend", "Health", "In flight", "Models listed", "Requests today", "Latency p50 / p95 today"], cells, empty: "No backends are configured."))</section>
            <section class="card"><h2>Loaded models</h2>\(loaded.isEmpty ? "<p class=\"muted\">No model is loaded in memory right now.</p>" : Self.modelList(loaded))</section>
            """
        return render("Backends", section: "/ui/backends", page, body)
    }

    @Sendable func audit(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let number = try Self.pageNumber(page)
        let size = 50
        var filters: [(column: String, value: String)] = []
        if let action = page.query["action"], !action.isEmpty { filters.append(("action", action)) }
        if let target = page.query["target_id"], !target.isEmpty { filters.append(("target_id", target)) }
        let (rows, total) = try await routes.keyStore.page(of: .audit, as: AuditRow.self, filters: filters, page: number, size: size)
        let cells = rows.map { row -> [HTML] in
            [
                "\(Self.time(row.at, zone: page.zone))", "\(row.actor)", "<code>\(row.action)</code>", "\(row.targetType) <code>\(row.targetID)</code>",
                "<details><summary>before / after</summary><pre>\(row.beforeValue?.text ?? "–")</pre><pre>\(row.afterValue?.text ?? "–")</pre></details>",
            ]
        }
        let form: HTML = """
            <form method="get" action="/ui/audit" class="filters">\(UILayout.field("Action", name: "action", value: page.query["action"], hint: "e.g. key.block"))\
            \(UILayout.field("Target", name: "target_id", value: page.query["target_id"]))<button type="submit">Filter</button></form>
            """
        let query: [(String, String?)] = [("action", page.query["action"]), ("target_id", page.query["target_id"])]
        let body: HTML = """
            <section class="card">\(form)\(UILayout.table(["When", "Actor", "Action", "Target", "Change"], cells, empty: "No admin changes yet."))\
            \(Self.pager(path: "/ui/audit", query: query, page: number, totalPages: max(1, (total + size - 1) / size)))</section>
            """
        return render("Audit log", section: "/ui/audit", page, body)
    }
}
