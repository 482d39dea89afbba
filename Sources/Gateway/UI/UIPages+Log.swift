import Dialects
import Foundation
import Hummingbird

/// The request log: `/spend/logs`'s rows through the same ``UsageSpendLogRoutes/page(_:)``, with its
/// filters and cursor paging, and one request's detail.
extension UIPages {
    /// The query parameters of `/spend/logs` the page passes through.
    static let logFilters = ["api_key", "user_id", "model", "status", "start_date", "end_date"]

    @Sendable func requestLog(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        var query = page.query.filter { Self.logFilters.contains($0.key) || $0.key == "cursor" }
        query["limit"] = "50"
        let result = try await routes.logs.page(UsageParameters(query: query))
        let rows = result.data.map { entry -> [HTML] in
            let id = entry.text("request_id") ?? ""
            let status = entry.text("status") ?? ""
            return [
                "<a href=\"\(UILayout.path("/ui/log", id))\">\(Self.logTime(entry, zone: page.zone))</a>",
                "\(entry.text("key_alias") ?? entry.text("key_id") ?? "–")",
                "\(entry.text("user_id") ?? "–")",
                "<code>\(entry.text("requested_model") ?? "–")</code>",
                Self.statusBadge(status, http: entry.text("http_status")),
                "\(UIFormat.integer(entry.integer("prompt_tokens") ?? 0)) / \(UIFormat.integer(entry.integer("completion_tokens") ?? 0))",
                "\(UIFormat.dollars(micros: entry.integer("cost_micros") ?? 0))",
                "\(UIFormat.milliseconds((entry["ttft_ms"] as? NSNumber)?.doubleValue))",
                "\(UIFormat.milliseconds((entry["duration_ms"] as? NSNumber)?.doubleValue))",
            ]
        }
        let statuses = [("", "any"), ("success", "ok"), ("failure", "failed"), ("client_error", "client error"), ("upstream_error", "upstream error"), ("timeout", "timeout"), ("client_closed", "client closed")]
        let filters: HTML = """
            <form method="get" action="/ui/log" class="filters">\
            \(UILayout.field("Key (hash or id)", name: "api_key", value: page.query["api_key"]))\
            \(UILayout.field("User", name: "user_id", value: page.query["user_id"]))\
            \(UILayout.field("Model", name: "model", value: page.query["model"]))\
            <label>Status<select name="status">\(Self.options(statuses, selected: page.query["status"] ?? ""))</select></label>\
            \(UILayout.field("From", name: "start_date", value: page.query["start_date"], hint: "YYYY-MM-DD or RFC 3339"))\
            \(UILayout.field("Until", name: "end_date", value: page.query["end_date"]))\
            <button type="submit">Filter</button></form>
            """
        let kept = Self.logFilters.map { ($0, page.query[$0]) }
        let next: HTML = result.nextCursor.map { "<nav class=\"pager\"><a href=\"\(UILayout.link("/ui/log", kept + [("cursor", $0)]))\" rel=\"next\">Older →</a></nav>" } ?? ""
        let newest: HTML = page.query["cursor"] != nil ? "<a href=\"\(UILayout.link("/ui/log", kept))\">← Newest</a>" : ""
        let table = UILayout.table(["Time", "Key", "User", "Model", "Status", "Tokens in / out", "Cost", "TTFT", "Duration"], rows, empty: "No requests match.")
        return render("Request log", section: "/ui/log", page, "<section class=\"card\">\(filters)\(table)\(newest)\(next)</section>")
    }

    @Sendable func requestDetail(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let id = try Self.pathValue(page, "id")
        let result = try await routes.logs.page(UsageParameters(query: ["request_id": id, "include_payload": "true", "limit": "1"]))
        guard let entry = result.data.first else { throw GatewayError(.notFound, "No request with this id is in the log.") }
        func ns(_ name: String) -> String { entry.integer(name).map { UIFormat.milliseconds(Double($0) / 1_000_000) } ?? "–" }
        func ms(_ name: String) -> String { UIFormat.milliseconds((entry[name] as? NSNumber)?.doubleValue) }
        let facts: [(String, HTML)] = [
            ("Request id", "<code>\(id)</code>"),
            ("Started", "\(Self.logTime(entry, zone: page.zone))"),
            ("Status", Self.statusBadge(entry.text("status") ?? "", http: entry.text("http_status"))),
            ("Error", "\(entry.text("error_type") ?? "–")"),
            ("Key", entry.text("api_key").map { "<a href=\"\(UILayout.path("/ui/keys", $0))\">\(entry.text("key_alias") ?? $0)</a>" } ?? "\(entry.text("key_id") ?? "–")"),
            ("User", "\(entry.text("user_id") ?? "–")"),
            ("Dialect / endpoint", "\(entry.text("dialect") ?? "") <code>\(entry.text("endpoint") ?? "")</code>"),
            ("Model requested / served", "<code>\(entry.text("requested_model") ?? "–")</code> / <code>\(entry.text("served_model") ?? "–")</code>"),
            ("Backend", "\(entry.text("api_base") ?? "–")"),
            ("Streamed", entry.flag("stream") ? "yes" : "no"),
            ("Tokens in / out", "\(UIFormat.integer(entry.integer("prompt_tokens") ?? 0)) / \(UIFormat.integer(entry.integer("completion_tokens") ?? 0))"),
            ("Cost", "\(UIFormat.dollars(micros: entry.integer("cost_micros") ?? 0))"),
            ("Time to first token", "\(ms("ttft_ms"))"),
            ("Duration / upstream", "\(ms("duration_ms")) / \(ms("upstream_ms"))"),
            ("Ollama total / load / prompt eval / eval", "\(ns("ollama_total_ns")) / \(ns("ollama_load_ns")) / \(ns("ollama_prompt_eval_ns")) / \(ns("ollama_eval_ns"))"),
        ]
        var body = UILayout.table(["Field", "Value"], facts.map { ["\($0.0)", $0.1] })
        if let payload = entry["payload"] as? [String: Any] {
            body = body + """
                <h2>Payload <small>\(payload.text("mode") ?? "")\(payload.flag("truncated") ? ", truncated" : "")</small></h2>\
                <h3>Request</h3><pre>\(payload.jsonText("request") ?? "–")</pre><h3>Response</h3><pre>\(payload.jsonText("response") ?? "–")</pre>
                """
        } else {
            body = body + "<p class=\"muted\">No payload was logged for this request (see usage.log_payloads).</p>"
        }
        return render("Request", section: "/ui/log", page, "<section class=\"card\">\(body)</section>")
    }

    static func logTime(_ entry: [String: Any], zone: TimeZone) -> String {
        guard let text = entry.text("started_at"), let date = PostgresTime.date(text) else { return entry.text("started_at") ?? "–" }
        let seconds = Calendar(identifier: .gregorian).component(.second, from: date)
        return UIFormat.time(date, zone: zone) + String(format: ":%02d", seconds)
    }

    static func statusBadge(_ status: String, http: String?) -> HTML {
        "<span class=\"badge \(status == "ok" ? "good" : "bad")\">\(status) \(http ?? "")</span>"
    }
}
