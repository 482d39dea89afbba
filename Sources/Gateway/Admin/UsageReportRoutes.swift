import Dialects
import Foundation
import Hummingbird

/// `GET /usage`: usage totals over a range of UTC days, grouped as asked, read from `usage_daily` only
/// (never the request log), so a year of usage costs a few thousand aggregate rows. Master key only.
///
/// Parameters: `start_date`, `end_date` (inclusive days; default the last 30), `group_by` (any of `day`,
/// `key`, `user`, `model`, `backend`, `team`, `end_user`, comma-separated; none gives one total row), filters
/// `api_key`, `user_id`, `team_id`, `end_user` (or `customer_id`), `model` (an alias is matched through the Ollama model that serves it), and `format=csv` for CSV.
///
/// Each row has its dimensions, then requests, ok, failed, prompt/completion/total tokens, spend (dollars)
/// and cost_micros, the mean latency and latency p50/p95/p99 and time-to-first-token p50 in milliseconds,
/// read from the summed histograms (within 12.25%, see ``LatencyHistogram``).
struct UsageReportRoutes: Sendable {
    let store: UsageStore
    let catalog: ModelCatalog
    let now: @Sendable () -> Date

    @Sendable func usage(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let parameters = UsageParameters(request)
        let csv: Bool
        switch parameters.string("format") ?? "json" {
        case "json": csv = false
        case "csv": csv = true
        default: throw UsageParameters.invalid("format", "'format' must be json or csv.")
        }
        let report = try await report(parameters)
        return csv ? report.csvResponse() : report.response()
    }

    /// Reads the report `parameters` ask for (all but `format`); the dashboard's pages call this too.
    func report(_ parameters: UsageParameters) async throws -> UsageReport {
        let dimensions = try parameters.groupBy()
        var filter = UsageStore.DailyFilter(days: try parameters.dayRange(today: UsageDay(containing: now())))
        filter.keyID = try await parameters.keyID { try await store.keyID(hash: $0) }
        filter.userID = parameters.string("user_id")
        filter.teamID = parameters.string("team_id")
        filter.endUser = parameters.endUser
        if let model = parameters.string("model") { filter.models = await Self.servedNames(model, catalog: catalog) }

        var totals = UsageTotals()
        var rows: [UsageReport.Row] = []
        for aggregate in try await store.aggregate(filter, by: dimensions, histograms: true) {
            guard aggregate.sums.requests > 0 || !dimensions.isEmpty else { continue }
            totals.add(aggregate.sums)
            rows.append(UsageReport.Row(group: aggregate.group.reported, metrics: aggregate.sums.metrics))
        }
        if dimensions.isEmpty && rows.isEmpty { rows.append(UsageReport.Row(group: UsageGroup(), metrics: totals.metrics)) }
        return UsageReport(days: filter.days, dimensions: dimensions, rows: rows, totals: totals)
    }

    /// `usage_daily.model` holds the Ollama model that served a request: an alias is matched through it.
    static func servedNames(_ model: String, catalog: ModelCatalog) async -> [String] {
        guard let resolved = await catalog.resolve(model), resolved.ollamaModel != model else { return [model] }
        return [model, resolved.ollamaModel]
    }
}
