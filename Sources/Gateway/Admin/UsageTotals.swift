import Foundation

/// Summed usage of some `usage_daily` rows, and what the usage API reports of it.
struct UsageTotals {
    var requests: Int64 = 0
    var ok: Int64 = 0
    var failed: Int64 = 0
    var promptTokens: Int64 = 0
    var completionTokens: Int64 = 0
    var costMicros: Int64 = 0
    var durationMsSum: Double = 0
    var durationHistogram: [Int64] = []
    var ttftHistogram: [Int64] = []

    init() {}

    /// Reads the sums of an aggregate row (``UsageStore/aggregate(_:by:histograms:)``).
    init(_ row: UsageRow) {
        requests = row.int("requests")
        ok = row.int("ok")
        failed = row.int("failed")
        promptTokens = row.int("prompt_tokens")
        completionTokens = row.int("completion_tokens")
        costMicros = row.int("cost_micros")
        durationMsSum = row.double("duration_ms_sum") ?? 0
        durationHistogram = LatencyHistogram.parse(row.text("duration_hist"))
        ttftHistogram = LatencyHistogram.parse(row.text("ttft_hist"))
    }

    mutating func add(_ other: UsageTotals) {
        requests += other.requests
        ok += other.ok
        failed += other.failed
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        costMicros += other.costMicros
        durationMsSum += other.durationMsSum
        LatencyHistogram.add(other.durationHistogram, to: &durationHistogram)
        LatencyHistogram.add(other.ttftHistogram, to: &ttftHistogram)
    }

    var totalTokens: Int64 { promptTokens + completionTokens }
    var spend: Double { Double(costMicros) / 1_000_000 }

    /// The metric columns of `/usage`, in their CSV order. Latencies are milliseconds (nil: no samples).
    var metrics: [(name: String, value: Any?)] {
        [
            ("requests", requests), ("ok", ok), ("failed", failed),
            ("prompt_tokens", promptTokens), ("completion_tokens", completionTokens), ("total_tokens", totalTokens),
            ("spend", spend), ("cost_micros", costMicros),
            ("avg_latency_ms", requests > 0 ? Self.rounded(durationMsSum / Double(requests)) : nil),
            ("latency_p50_ms", Self.percentile(0.50, durationHistogram)),
            ("latency_p95_ms", Self.percentile(0.95, durationHistogram)),
            ("latency_p99_ms", Self.percentile(0.99, durationHistogram)),
            ("ttft_p50_ms", Self.percentile(0.50, ttftHistogram)),
        ]
    }

    /// LiteLLM's SpendMetrics (`/…/daily/activity`); Tollgate has no prompt cache, so those counts are 0.
    var spendMetrics: [String: Any] {
        [
            "spend": spend, "prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": totalTokens,
            "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0,
            "api_requests": requests, "successful_requests": ok, "failed_requests": failed,
        ]
    }

    private static func percentile(_ fraction: Double, _ histogram: [Int64]) -> Double? {
        LatencyHistogram.percentile(fraction, of: histogram).map(rounded)
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
