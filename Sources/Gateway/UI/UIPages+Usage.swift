import Dialects
import Foundation
import Hummingbird

/// Usage: `/usage`'s report (``UsageReportRoutes/report(_:)``) by day, key, user or model, a chart of
/// it, and its CSV export.
extension UIPages {
    /// The `/usage` parameters the page passes through.
    static let usageParameters = ["start_date", "end_date", "group_by", "api_key", "user_id", "model"]

    @Sendable func usagePage(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        var query = page.query.filter { Self.usageParameters.contains($0.key) && !$0.value.isEmpty }
        let grouping = query["group_by"] ?? "day"
        guard ["day", "key", "user", "model"].contains(grouping) else {
            throw GatewayError(.invalidRequest, "'group_by' must be day, key, user or model.", param: "group_by")
        }
        query["group_by"] = grouping
        let report = try await routes.usage.report(UsageParameters(query: query))
        let rows = report.rows.map { row -> [HTML] in
            let group = row.group
            let names: [HTML] = report.dimensions.map { dimension -> HTML in
                switch dimension {
                case .key:
                    guard let hash = group.keyHash else { return "\(group.keyAlias ?? "–")" }
                    return "<a href=\"\(UILayout.path("/ui/keys", hash))\">\(group.keyAlias ?? hash)</a>"
                default: return "\(group.label(dimension) ?? "–")"
                }
            }
            let metrics = row.metrics
            return names + [
                "\(UIFormat.integer(metrics.requests))", "\(UIFormat.integer(metrics.failed))", "\(UIFormat.integer(metrics.totalTokens))",
                "\(UIFormat.dollars(metrics.spend))", "\(UIFormat.milliseconds(metrics.latencyP50Ms))", "\(UIFormat.milliseconds(metrics.latencyP95Ms))",
            ]
        }
        var chart: HTML = ""
        if grouping == "day" {
            let start = Date(timeIntervalSince1970: TimeInterval(report.days.lowerBound.daysSinceEpoch) * 86_400)
            let end = Date(timeIntervalSince1970: TimeInterval(report.days.upperBound.daysSinceEpoch + 1) * 86_400)
            let points = report.rows.compactMap { row -> ChartPoint? in
                guard let day = row.group.day.flatMap(UsageDay.init) else { return nil }
                return ChartPoint(time: day.start, value: Double(row.metrics.requests))
            }
            chart = SVGChart(title: "Requests per day", kind: .bars, range: start...end, step: 86_400, timeZone: TimeZone(identifier: "UTC")!)
                .render([ChartSeries(name: "Requests", points: points)])
        }
        let groups = [("day", "day"), ("key", "key"), ("user", "user"), ("model", "model")]
        let filters: HTML = """
            <form method="get" action="/ui/usage" class="filters">\
            <label>Group by<select name="group_by">\(Self.options(groups, selected: grouping))</select></label>\
            \(UILayout.field("From (UTC day)", name: "start_date", value: report.days.lowerBound.description, type: "date"))\
            \(UILayout.field("Until", name: "end_date", value: report.days.upperBound.description, type: "date"))\
            \(UILayout.field("User", name: "user_id", value: query["user_id"]))\(UILayout.field("Model", name: "model", value: query["model"]))\
            <button type="submit">Show</button></form>
            """
        var exportQuery = query
        exportQuery["start_date"] = report.days.lowerBound.description
        exportQuery["end_date"] = report.days.upperBound.description
        let export = UILayout.link("/ui/usage/export", Self.usageParameters.map { ($0, exportQuery[$0]) })
        let headers = report.dimensions.map { $0 == .key ? "key" : UsageGroup.names($0)[0] } + ["Requests", "Failed", "Tokens", "Spend", "p50", "p95"]
        let body: HTML = """
            <section class="card">\(filters)<p><a href="\(export)" download>Download CSV</a></p>\(chart)\
            \(UILayout.table(headers, rows, empty: "No usage in these days."))\
            <p class="muted">Totals: \(UIFormat.integer(report.totals.requests)) requests, \(UIFormat.integer(report.totals.totalTokens)) tokens, \(UIFormat.dollars(micros: report.totals.costMicros)).</p></section>
            """
        return render("Usage", section: "/ui/usage", page, body)
    }

    /// The same report as CSV, as `/usage?format=csv` answers it.
    @Sendable func usageExport(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let query = page.query.filter { Self.usageParameters.contains($0.key) && !$0.value.isEmpty }
        var response = try await routes.usage.report(UsageParameters(query: query)).csvResponse()
        UISecurity.apply(to: &response.headers)
        return response
    }
}
