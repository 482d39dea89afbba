import Dialects
import HTTPTypes
import Hummingbird
import NIOCore

/// What one `usage_daily` group is grouped by: the values of the dimensions asked for (nil for the others).
struct UsageGroup: Equatable {
    /// `YYYY-MM-DD`.
    var day: String?
    var keyID: String?
    /// The key's hash and alias, read beside `key_id` when grouped by key (nil for the master key or a deleted key).
    var keyHash: String?
    var keyAlias: String?
    var userID: String?
    var model: String?
    var backend: String?
    var teamID: String?
    var endUser: String?

    /// As `/usage` reports it: `''` in `usage_daily` means "none" (no user, backend, team or end user) and is
    /// reported as null.
    var reported: UsageGroup {
        func none(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        var group = self
        group.userID = none(userID)
        group.backend = none(backend)
        group.teamID = none(teamID)
        group.endUser = none(endUser)
        return group
    }

    /// Output columns of `dimension`: `key` is `key_id` plus the key's hash (`api_key`) and alias.
    func cells(_ dimension: UsageDimension) -> [UsageCell] {
        switch dimension {
        case .day: [.text(day)]
        case .key: [.text(keyID), .text(keyHash), .text(keyAlias)]
        case .user: [.text(userID)]
        case .model: [.text(model)]
        case .backend: [.text(backend)]
        case .team: [.text(teamID)]
        case .endUser: [.text(endUser)]
        }
    }

    /// The value that names the group in `dimension` (a key's alias for `key`), as a page shows it.
    func label(_ dimension: UsageDimension) -> String? {
        switch dimension {
        case .day: day
        case .key: keyAlias
        case .user: userID
        case .model: model
        case .backend: backend
        case .team: teamID
        case .endUser: endUser
        }
    }

    static func names(_ dimension: UsageDimension) -> [String] {
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

/// One group's sums, as the store reads them from `usage_daily`.
struct UsageAggregate {
    var group: UsageGroup
    var sums: UsageTotals
}

/// The metrics `/usage` reports of some usage, in its CSV order; latencies are milliseconds, nil when no
/// request was sampled.
struct UsageMetrics: Equatable {
    var requests: Int64
    var ok: Int64
    var failed: Int64
    var promptTokens: Int64
    var completionTokens: Int64
    var totalTokens: Int64 { promptTokens + completionTokens }
    /// US dollars.
    var spend: Double
    var costMicros: Int64
    var avgLatencyMs: Double?
    var latencyP50Ms: Double?
    var latencyP95Ms: Double?
    var latencyP99Ms: Double?
    var ttftP50Ms: Double?

    static let names = [
        "requests", "ok", "failed", "prompt_tokens", "completion_tokens", "total_tokens", "spend", "cost_micros",
        "avg_latency_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "ttft_p50_ms",
    ]

    /// The values of ``names``, in that order.
    var cells: [UsageCell] {
        [
            .integer(requests), .integer(ok), .integer(failed), .integer(promptTokens), .integer(completionTokens), .integer(totalTokens),
            .number(spend), .integer(costMicros),
            .number(avgLatencyMs), .number(latencyP50Ms), .number(latencyP95Ms), .number(latencyP99Ms), .number(ttftP50Ms),
        ]
    }
}

/// One value of a `/usage` row, written the same way to JSON and to CSV.
enum UsageCell: Equatable {
    /// A string, or null / an empty CSV field.
    case text(String?)
    case integer(Int64)
    /// A number, or null / an empty CSV field.
    case number(Double?)

    func write(to json: inout JSONWriter) {
        switch self {
        case .text(let text): json.optionalString(text)
        case .integer(let value): json.int(value)
        case .number(let value): json.number(value)
        }
    }
}

/// `/usage`'s answer: usage over a range of UTC days, one row per group of the dimensions asked for.
///
/// JSON: `{"data": [row…], "end_date", "group_by": [...], "start_date", "totals": {metrics}}`, each row its
/// dimension columns then ``UsageMetrics``; CSV: a header line of the same column names, then the rows.
struct UsageReport: UsageAnswer {
    struct Row: Equatable {
        /// As reported (see ``UsageGroup/reported``).
        var group: UsageGroup
        var metrics: UsageMetrics
    }

    var days: ClosedRange<UsageDay>
    var dimensions: [UsageDimension]
    var rows: [Row]
    var totals: UsageTotals

    /// A row's column names: its dimensions' (``UsageGroup/names(_:)``), then the metrics'.
    var columnNames: [String] { dimensions.flatMap(UsageGroup.names) + UsageMetrics.names }

    /// A row's values, in ``columnNames`` order.
    func cells(_ row: Row) -> [UsageCell] {
        dimensions.flatMap(row.group.cells) + row.metrics.cells
    }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.member("data", first: true)
        let names = columnNames
        let order = Self.nameOrder(names)
        json.array(rows) { json, row in Self.writeObject(names, cells(row), order: order, to: &json) }
        json.member("end_date")
        json.string(days.upperBound.description)
        json.member("group_by")
        json.array(dimensions) { json, dimension in json.string(dimension.rawValue) }
        json.member("start_date")
        json.string(days.lowerBound.description)
        json.member("totals")
        Self.writeObject(UsageMetrics.names, totals.metrics.cells, order: Self.nameOrder(UsageMetrics.names), to: &json)
        json.raw("}")
    }

    /// Indices of `names` in code-point order of the names: the order of an object's members (the same in
    /// every row, so it is worked out once per answer).
    private static func nameOrder(_ names: [String]) -> [Int] {
        names.indices.sorted { names[$0] < names[$1] }
    }

    private static func writeObject(_ names: [String], _ cells: [UsageCell], order: [Int], to json: inout JSONWriter) {
        json.raw("{")
        for (position, index) in order.enumerated() {
            json.member(names[index], first: position == 0)
            cells[index].write(to: &json)
        }
        json.raw("}")
    }

    /// The report as a CSV download (``UsageCSV``), with a header line.
    func csvResponse() -> Response {
        let body = UsageCSV.render(header: columnNames, rows: rows.map(cells))
        return Response(
            status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"usage.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
