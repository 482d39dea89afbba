import Dialects

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

    /// What `/usage` reports of these sums. Latencies are milliseconds (nil: no samples).
    var metrics: UsageMetrics {
        UsageMetrics(
            requests: requests, ok: ok, failed: failed, promptTokens: promptTokens, completionTokens: completionTokens,
            spend: spend, costMicros: costMicros,
            avgLatencyMs: requests > 0 ? Self.rounded(durationMsSum / Double(requests)) : nil,
            latencyP50Ms: Self.percentile(0.50, durationHistogram), latencyP95Ms: Self.percentile(0.95, durationHistogram),
            latencyP99Ms: Self.percentile(0.99, durationHistogram), ttftP50Ms: Self.percentile(0.50, ttftHistogram)
        )
    }

    /// LiteLLM's SpendMetrics (`/…/daily/activity`); Tollgate has no prompt cache, so those counts are 0.
    func writeSpendMetrics(to json: inout JSONWriter) {
        json.raw("{")
        json.member("api_requests", first: true)
        json.int(requests)
        json.member("cache_creation_input_tokens")
        json.int(0)
        json.member("cache_read_input_tokens")
        json.int(0)
        json.member("completion_tokens")
        json.int(completionTokens)
        json.member("failed_requests")
        json.int(failed)
        json.member("prompt_tokens")
        json.int(promptTokens)
        json.member("spend")
        json.number(spend)
        json.member("successful_requests")
        json.int(ok)
        json.member("total_tokens")
        json.int(totalTokens)
        json.raw("}")
    }

    private static func percentile(_ fraction: Double, _ histogram: [Int64]) -> Double? {
        LatencyHistogram.percentile(fraction, of: histogram).map(rounded)
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
