import Dialects
import Foundation
import Hummingbird

/// Overview: requests, tokens, cost, error rate and p50/p95 latency over the last 24 h (hourly, from
/// the request log's window) or 7 / 30 days (daily, from ``UsageReportRoutes/report(_:)`` as `/usage`
/// answers), and the top keys, users and models.
extension UIPages {
    /// One bucket of the overview's charts.
    struct Bucket {
        var start: Date
        var requests: Double
        var failed: Double
        var tokens: Double
        var costMicros: Double
        var p50: Double?
        var p95: Double?
    }

    @Sendable func overview(_ request: Request, page: DashboardRoutes.Page) async throws -> Response {
        let choice = page.query["range"] ?? "24h"
        guard ["24h", "7d", "30d"].contains(choice) else { throw GatewayError(.invalidRequest, "'range' must be 24h, 7d or 30d.", param: "range") }
        let now = routes.now()
        let buckets: [Bucket]
        let total: Bucket
        let window: ClosedRange<Date>
        let step: TimeInterval
        let topDays: Int
        if choice == "24h" {
            step = 3600
            let thisHour = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
            window = thisHour.addingTimeInterval(-23 * 3600)...thisHour.addingTimeInterval(3600)
            let read = try await routes.usageStore.hourly(from: window.lowerBound, until: window.upperBound)
            buckets = read.hours.map(Self.bucket)
            total = Self.bucket(read.total)
            topDays = 2
        } else {
            step = 86_400
            topDays = choice == "7d" ? 7 : 30
            let today = UsageDay(containing: now)
            let first = UsageDay(daysSinceEpoch: today.daysSinceEpoch - topDays + 1)
            window = Date(timeIntervalSince1970: TimeInterval(first.daysSinceEpoch) * 86_400)...Date(timeIntervalSince1970: TimeInterval(today.daysSinceEpoch + 1) * 86_400)
            let report = try await routes.usage.report(UsageParameters(query: ["start_date": first.description, "end_date": today.description, "group_by": "day"]))
            buckets = report.table.compactMap { row in
                guard let day = (Self.value(row, "day") as? String).flatMap(UsageDay.init) else { return nil }
                return Self.bucket(row, start: Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch) * 86_400))
            }
            total = Self.bucket(report.totals.metrics, start: window.lowerBound)
        }

        func chart(_ title: String, _ value: (Bucket) -> Double?, format: @escaping @Sendable (Double) -> String = { UIFormat.compact($0) }) -> HTML {
            var chart = SVGChart(title: title, kind: .bars, range: window, step: step, timeZone: page.zone)
            chart.format = format
            return chart.render([ChartSeries(name: title, points: buckets.compactMap { bucket in value(bucket).map { ChartPoint(time: bucket.start, value: $0) } })])
        }
        var latency = SVGChart(title: "Latency p50 / p95 (ms)", kind: .lines, range: window, step: step, timeZone: page.zone)
        latency.format = { UIFormat.compact($0) }
        let latencyChart = latency.render([
            ChartSeries(name: "p50", points: buckets.compactMap { b in b.p50.map { ChartPoint(time: b.start, value: $0) } }),
            ChartSeries(name: "p95", points: buckets.compactMap { b in b.p95.map { ChartPoint(time: b.start, value: $0) } }),
        ])
        let charts: [HTML] = [
            chart("Requests", { $0.requests }),
            chart("Tokens", { $0.tokens }),
            chart("Cost (USD)", { $0.costMicros / 1_000_000 }, format: { UIFormat.dollars($0) }),
            chart("Error rate (%)", { $0.requests > 0 ? 100 * $0.failed / $0.requests : nil }),
            latencyChart,
        ]
        let errorRate = total.requests > 0 ? total.failed / total.requests : 0
        let tiles: [(String, String)] = [
            ("Requests", UIFormat.integer(Int64(total.requests))), ("Tokens", UIFormat.integer(Int64(total.tokens))),
            ("Cost", UIFormat.dollars(micros: Int64(total.costMicros))), ("Error rate", UIFormat.percent(errorRate)),
            ("Latency p50", UIFormat.milliseconds(total.p50)), ("Latency p95", UIFormat.milliseconds(total.p95)),
        ]
        let ranges = [("24h", "Last 24 hours"), ("7d", "7 days"), ("30d", "30 days")].map { value, label -> HTML in
            let marker: HTML = value == choice ? " aria-current=\"page\"" : ""
            return "<a href=\"/ui/overview?range=\(value)\"\(marker)>\(label)</a>"
        }
        let top = try await topLists(days: topDays, now: now)
        let body: HTML = """
            <nav class="ranges">\(ranges)</nav>
            <section class="tiles">\(tiles.map { "<div class=\"tile\"><span>\($0.0)</span><strong>\($0.1)</strong></div>" as HTML })</section>
            <section class="charts">\(charts)</section>
            <section class="tops">\(top)</section>
            <p class="muted">Top lists count the whole UTC days the window touches (daily totals).</p>
            """
        return render("Overview", section: "/ui/overview", page, body)
    }

    /// The five keys, users and models with the most requests over the last `days` UTC days.
    private func topLists(days: Int, now: Date) async throws -> [HTML] {
        let today = UsageDay(containing: now)
        let first = UsageDay(daysSinceEpoch: today.daysSinceEpoch - days + 1)
        var lists: [HTML] = []
        for (dimension, title) in [("key", "Top keys"), ("user", "Top users"), ("model", "Top models")] {
            let report = try await routes.usage.report(
                UsageParameters(query: ["start_date": first.description, "end_date": today.description, "group_by": dimension])
            )
            let rows = report.table.sorted { (Self.value($0, "requests") as? Int64 ?? 0) > (Self.value($1, "requests") as? Int64 ?? 0) }.prefix(5)
            let cells = rows.map { row -> [HTML] in
                let name: HTML
                switch dimension {
                case "key":
                    let hash = Self.value(row, "api_key") as? String
                    let label = (Self.value(row, "key_alias") as? String) ?? (Self.value(row, "key_id") as? String) ?? "–"
                    name = hash.map { "<a href=\"\(UILayout.path("/ui/keys", $0))\">\(label)</a>" } ?? "\(label)"
                case "user":
                    name = (Self.value(row, "user_id") as? String).map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "<span class=\"muted\">no user</span>"
                default:
                    name = "<code>\(Self.value(row, "model") as? String ?? "–")</code>"
                }
                return [
                    name, "\(UIFormat.integer(Self.value(row, "requests") as? Int64 ?? 0))",
                    "\(UIFormat.dollars((Self.value(row, "spend") as? Double) ?? 0))",
                ]
            }
            lists.append("<div class=\"card\"><h2>\(title)</h2>\(UILayout.table(["Name", "Requests", "Spend"], cells, empty: "No usage yet."))</div>")
        }
        return lists
    }

    static func value(_ row: [(name: String, value: Any?)], _ name: String) -> Any? {
        row.first { $0.name == name }?.value ?? nil
    }

    static func bucket(_ hour: UsageStore.Hour) -> Bucket {
        Bucket(
            start: hour.start, requests: Double(hour.requests), failed: Double(hour.failed), tokens: Double(hour.tokens),
            costMicros: Double(hour.costMicros), p50: hour.p50Ms, p95: hour.p95Ms
        )
    }

    static func bucket(_ row: [(name: String, value: Any?)], start: Date) -> Bucket {
        func number(_ name: String) -> Double {
            switch value(row, name) {
            case let value as Int64: Double(value)
            case let value as Double: value
            default: 0
            }
        }
        return Bucket(
            start: start, requests: number("requests"), failed: number("failed"), tokens: number("total_tokens"), costMicros: number("cost_micros"),
            p50: value(row, "latency_p50_ms") as? Double, p95: value(row, "latency_p95_ms") as? Double
        )
    }
}
