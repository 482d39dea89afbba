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
        let rows = result.entries.map { entry -> [HTML] in
            [
                "<a href=\"\(UILayout.path("/ui/log", entry.requestID ?? ""))\">\(Self.logTime(entry, zone: page.zone))</a>",
                "\(entry.keyAlias ?? entry.keyID ?? "–")",
                "\(entry.userID ?? "–")",
                "<code>\(entry.requestedModel ?? "–")</code>",
                Self.statusBadge(entry),
                "\(UIFormat.integer(entry.promptTokens)) / \(UIFormat.integer(entry.completionTokens))",
                "\(UIFormat.dollars(micros: entry.costMicros))",
                "\(UIFormat.milliseconds(entry.ttftMs))",
                "\(UIFormat.milliseconds(entry.durationMs))",
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
        guard let entry = result.entries.first else { throw GatewayError(.notFound, "No request with this id is in the log.") }
        func ns(_ value: Int64?) -> String { value.map { UIFormat.milliseconds(Double($0) / 1_000_000) } ?? "–" }
        let facts: [(String, HTML)] = [
            ("Request id", "<code>\(id)</code>"),
            ("Started", "\(Self.logTime(entry, zone: page.zone))"),
            ("Status", Self.statusBadge(entry)),
            ("Error", "\(entry.errorType ?? "–")"),
            ("Key", entry.keyHash.map { "<a href=\"\(UILayout.path("/ui/keys", $0))\">\(entry.keyAlias ?? $0)</a>" } ?? "\(entry.keyID ?? "–")"),
            ("User", "\(entry.userID ?? "–")"),
            ("Dialect / endpoint", "\(entry.dialect ?? "") <code>\(entry.endpoint)</code>"),
            ("Model requested / served", "<code>\(entry.requestedModel ?? "–")</code> / <code>\(entry.servedModel ?? "–")</code>"),
            ("Backend", "\(entry.backend ?? "–")"),
            ("Streamed", entry.stream ? "yes" : "no"),
            ("Tokens in / out", "\(UIFormat.integer(entry.promptTokens)) / \(UIFormat.integer(entry.completionTokens))"),
            ("Cost", "\(UIFormat.dollars(micros: entry.costMicros))"),
            ("Time to first token", "\(UIFormat.milliseconds(entry.ttftMs))"),
            ("Duration / upstream", "\(UIFormat.milliseconds(entry.durationMs)) / \(UIFormat.milliseconds(entry.upstreamMs))"),
            (
                "Ollama total / load / prompt eval / eval",
                "\(ns(entry.ollamaTotalNs)) / \(ns(entry.ollamaLoadNs)) / \(ns(entry.ollamaPromptEvalNs)) / \(ns(entry.ollamaEvalNs))"
            ),
        ]
        var body = UILayout.table(["Field", "Value"], facts.map { ["\($0.0)", $0.1] })
        if case .logged(let payload) = entry.payload {
            body = body + """
                <h2>Payload <small>\(payload.mode)\(payload.truncated ? ", truncated" : "")</small></h2>\
                <h3>Request</h3><pre>\(payload.request?.text ?? "–")</pre><h3>Response</h3><pre>\(payload.response?.text ?? "–")</pre>
                """
        } else {
            body = body + "<p class=\"muted\">No payload was logged for this request (see usage.log_payloads).</p>"
        }
        return render("Request", section: "/ui/log", page, "<section class=\"card\">\(body)</section>")
    }

    /// When the request started, to the second, in the dashboard's time zone.
    static func logTime(_ entry: SpendLogEntry, zone: TimeZone) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(entry.startedMicros.floorDivided(by: 1_000_000)))
        let seconds = Calendar(identifier: .gregorian).component(.second, from: date)
        return UIFormat.time(date, zone: zone) + String(format: ":%02d", seconds)
    }

    static func statusBadge(_ entry: SpendLogEntry) -> HTML {
        let status = entry.status ?? ""
        return "<span class=\"badge \(status == "ok" ? "good" : "bad")\">\(status) \(String(entry.httpStatus))</span>"
    }
}
