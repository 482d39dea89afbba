import Foundation
import Postgres

extension UsageStore {
    /// One hour of the request log, summed.
    struct Hour: Sendable {
        var start: Date
        var requests: Int64
        var failed: Int64
        var tokens: Int64
        var costMicros: Int64
        var p50Ms: Double?
        var p95Ms: Double?
    }

    /// The request log from `from` to `until`, summed per hour (UTC hours), oldest first, and summed over
    /// the whole window (its `start` is `from`). Reads only the rows of the window, through the `started_at`
    /// index: about a day of log for the dashboard's 24 h view (`usage_daily` holds whole days only).
    func hourly(from: Date, until: Date) async throws -> (hours: [Hour], total: Hour) {
        let rows = UsageColumns(try await pool.query(
            """
            SELECT extract(epoch FROM date_trunc('hour', started_at))::bigint AS hour, count(*) AS requests,
                   count(*) FILTER (WHERE status <> 'ok') AS failed, sum(prompt_tokens + completion_tokens)::bigint AS tokens,
                   sum(cost_micros)::bigint AS cost, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
            FROM request_log WHERE started_at >= $1::timestamptz AND started_at < $2::timestamptz
            GROUP BY GROUPING SETS ((date_trunc('hour', started_at)), ()) ORDER BY 1 NULLS LAST
            """,
            [PostgresValue(from), PostgresValue(until)]
        ))
        var hours: [Hour] = []
        var total = Hour(start: from, requests: 0, failed: 0, tokens: 0, costMicros: 0)
        for index in 0..<rows.count {
            let row = rows.row(index)
            let start = row.optionalInt("hour").map { Date(timeIntervalSince1970: TimeInterval($0)) }
            let hour = Hour(
                start: start ?? from, requests: row.int("requests"), failed: row.int("failed"), tokens: row.int("tokens"),
                costMicros: row.int("cost"), p50Ms: row.double("p50"), p95Ms: row.double("p95")
            )
            if start == nil { total = hour } else { hours.append(hour) }
        }
        return (hours, total)
    }
}
