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
            buckets = report.rows.compactMap { row in
                guard let day = row.group.day.flatMap(UsageDay.init) else { return nil }
                return Self.bucket(row.metrics, start: day.start)
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
        for (dimension, title) in [(UsageDimension.key, "Top keys"), (.user, "Top users"), (.model, "Top models")] {
            let report = try await routes.usage.report(
                UsageParameters(query: ["start_date": first.description, "end_date": today.description, "group_by": dimension.rawValue])
            )
            let rows = report.rows.sorted { $0.metrics.requests > $1.metrics.requests }.prefix(5)
            let cells = rows.map { row -> [HTML] in
                let group = row.group
                let name: HTML
                switch dimension {
                case .key:
                    let label = group.keyAlias ?? group.keyID ?? "–"
                    name = group.keyHash.map { "<a href=\"\(UILayout.path("/ui/keys", $0))\">\(label)</a>" } ?? "\(label)"
                case .user:
                    name = group.userID.map { "<a href=\"\(UILayout.path("/ui/users", $0))\">\($0)</a>" } ?? "<span class=\"muted\">no user</span>"
                default:
                    name = "<code>\(group.model ?? "–")</code>"
                }
                return [name, "\(UIFormat.integer(row.metrics.requests))", "\(UIFormat.dollars(row.metrics.spend))"]
            }
            lists.append("<div class=\"card\"><h2>\(title)</h2>\(UILayout.table(["Name", "Requests", "Spend"], cells, empty: "No usage yet."))</div>")
        }
        return lists
    }

    static func bucket(_ hour: UsageStore.Hour) -> Bucket {
        Bucket(
            start: hour.start, requests: Double(hour.requests), failed: Double(hour.failed), tokens: Double(hour.tokens),
            costMicros: Double(hour.costMicros), p50: hour.p50Ms, p95: hour.p95Ms
        )
    }

    static func bucket(_ metrics: UsageMetrics, start: Date) -> Bucket {
        Bucket(
            start: start, requests: Double(metrics.requests), failed: Double(metrics.failed), tokens: Double(metrics.totalTokens),
            costMicros: Double(metrics.costMicros), p50: metrics.latencyP50Ms, p95: metrics.latencyP95Ms
        )
    }
}
