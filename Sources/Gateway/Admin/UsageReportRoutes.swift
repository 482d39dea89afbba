import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import NIOCore

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
        if csv { return report.csvResponse() }
        return UsageJSON.response([
            "start_date": report.days.lowerBound.description,
            "end_date": report.days.upperBound.description,
            "group_by": report.dimensions.map(\.rawValue),
            "data": report.table.map(Self.object),
            "totals": Self.object(report.totals.metrics),
        ])
    }

    /// The rows of a report: each its dimension fields, then its metrics (``UsageTotals/metrics``).
    struct Report {
        var days: ClosedRange<UsageDay>
        var dimensions: [UsageDimension]
        var table: [[(name: String, value: Any?)]]
        var totals: UsageTotals

        /// The report as a CSV download, with a header line.
        func csvResponse() -> Response {
            let header = UsageReportRoutes.dimensionNames(dimensions) + totals.metrics.map(\.name)
            let body = UsageCSV.render(header: header, rows: table.map { $0.map(\.value) })
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"usage.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: body))
            )
        }
    }

    /// Reads the report `parameters` ask for (all but `format`); the dashboard's pages call this too.
    func report(_ parameters: UsageParameters) async throws -> Report {
        let dimensions = try parameters.groupBy()
        var filter = UsageStore.DailyFilter(days: try parameters.dayRange(today: UsageDay(containing: now())))
        filter.keyID = try await parameters.keyID { try await store.keyID(hash: $0) }
        filter.userID = parameters.string("user_id")
        filter.teamID = parameters.string("team_id")
        filter.endUser = parameters.endUser
        if let model = parameters.string("model") { filter.models = await Self.servedNames(model, catalog: catalog) }

        let rows = try await store.aggregate(filter, by: dimensions, histograms: true)
        var totals = UsageTotals()
        var table: [[(name: String, value: Any?)]] = []
        for index in 0..<rows.count {
            let row = rows.row(index)
            let sums = UsageTotals(row)
            guard sums.requests > 0 || !dimensions.isEmpty else { continue }
            totals.add(sums)
            table.append(Self.dimensionFields(row, dimensions) + sums.metrics)
        }
        if dimensions.isEmpty && table.isEmpty { table.append(totals.metrics) }
        return Report(days: filter.days, dimensions: dimensions, table: table, totals: totals)
    }

    /// `usage_daily.model` holds the Ollama model that served a request: an alias is matched through it.
    static func servedNames(_ model: String, catalog: ModelCatalog) async -> [String] {
        guard let resolved = await catalog.resolve(model), resolved.ollamaModel != model else { return [model] }
        return [model, resolved.ollamaModel]
    }

    /// Output names of the dimensions: `key` is `key_id` plus the key's hash (`api_key`) and alias.
    static func dimensionNames(_ dimensions: [UsageDimension]) -> [String] {
        dimensions.flatMap { dimension -> [String] in
            switch dimension {
            case .day: ["day"]
            case .key: ["key_id", "api_key", "key_alias"]
            case .user: ["user_id"]
            case .model: ["model"]
            case .backend: ["backend"]
            case .team: ["team_id"]
            case .endUser: ["end_user"]
            }
        }
    }

    static func dimensionFields(_ row: UsageRow, _ dimensions: [UsageDimension]) -> [(name: String, value: Any?)] {
        dimensions.flatMap { dimension -> [(name: String, value: Any?)] in
            switch dimension {
            case .day: [("day", row.text("day"))]
            case .key: [("key_id", row.text("key_id")), ("api_key", row.text("key_hash")), ("key_alias", row.text("key_alias"))]
            // '' in usage_daily means "no user".
            case .user: [("user_id", row.text("user_id").flatMap { $0.isEmpty ? nil : $0 })]
            case .model: [("model", row.text("model"))]
            // '' in usage_daily means "no backend was called".
            case .backend: [("backend", row.text("backend").flatMap { $0.isEmpty ? nil : $0 })]
            // '' in usage_daily means "no team" and "no end user".
            case .team: [("team_id", row.text("team_id").flatMap { $0.isEmpty ? nil : $0 })]
            case .endUser: [("end_user", row.text("end_user").flatMap { $0.isEmpty ? nil : $0 })]
            }
        }
    }

    static func object(_ fields: [(name: String, value: Any?)]) -> [String: Any] {
        Dictionary(fields.map { ($0.name, $0.value ?? NSNull()) }) { first, _ in first }
    }
}
