import Foundation
import Prometheus
import Locking

/// Tollgate's Prometheus metrics, served at `GET /metrics` in the text exposition format.
///
/// Every finished request passes through ``requestFinished(_:)`` (the usage recorder calls it), so
/// request counts, latencies and tokens come from the same record as the usage log.
///
/// `/metrics` needs no key, and every label value has a fixed, small set of values: routes, dialects,
/// statuses and reasons come from the code, and a model is labelled only with a name the gateway knows
/// (the model catalog's: an alias or a model Ollama reported), every other name as `other`. Nothing a client
/// sends appears verbatim, and a flood of made-up names adds no series.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// The registry's series, remembered so that recording one does not go through the registry's lookup.
    let handles: MetricHandles
    /// The label value for anything not in a label's known set.
    static let other = "other"

    /// Seconds: covers fast refusals up to multi-minute generations.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]

    private let connectionsOpenGauge: Gauge
    private let usageQueueDepth: Gauge
    private let usageWriteLag: Gauge
    private let usageRecordsWritten: Counter
    private let usageJournalBytes: Gauge
    private let usageJournalOverWarningGauge: Gauge
    private let usageJournalFullGauge: Gauge

    init() {
        handles = MetricHandles(registry: registry)
        connectionsOpenGauge = handles.makeGauge(name: "tollgate_connections_open", help: "Client connections open now")
        usageQueueDepth = handles.makeGauge(name: "tollgate_usage_queue_depth", help: "Usage records waiting to be written to PostgreSQL")
        usageWriteLag = handles.makeGauge(
            name: "tollgate_usage_write_lag_seconds", help: "Age of the oldest usage record not yet written to PostgreSQL"
        )
        usageRecordsWritten = handles.makeCounter(name: "tollgate_usage_records_written_total", help: "Usage records written to PostgreSQL")
        usageJournalBytes = handles.makeGauge(
            name: "tollgate_usage_journal_bytes", help: "Bytes in the usage journal's segment files (usage not yet committed to PostgreSQL)"
        )
        usageJournalOverWarningGauge = handles.makeGauge(
            name: "tollgate_usage_journal_over_warning", help: "1 while the usage journal is over usage.journal_warn_bytes"
        )
        usageJournalFullGauge = handles.makeGauge(
            name: "tollgate_usage_journal_full", help: "1 while the usage journal is over usage.journal_max_bytes (see journal_full_policy)"
        )
        _ = usageJournalRefusals
        _ = usageJournalWriteErrors
        _ = usageJournalSyncErrors
        _ = usageJournalReplayed
        _ = usageJournalDamagedBytes
        // Families that exist before their first event, so dashboards and alerts see zeros, not gaps.
        for limit in Self.limitNames.sorted() { _ = limiterRejection(limit) }
        for reason in ["missing", "invalid", "blocked", "expired", "address_limited"] { _ = authCounter(reason) }
        for reason in ConnectionCloseReason.allCases { _ = connectionsClosed(reason) }
        _ = connectionsRejected
        _ = keyLookups
        _ = postgresErrors
        _ = redisErrors
    }

    // MARK: Requests

    /// A request ended; `model` is its `model` label (a known model's name, or ``other``), which the
    /// caller names because only the model catalog knows which names are known.
    func requestFinished(_ record: UsageRecord, model: String) {
        handles.makeCounter(
            name: "tollgate_requests_total",
            labels: [("route", record.endpoint), ("dialect", record.dialect), ("model", model), ("status", String(record.httpStatus))],
            help: "Requests that reached a model route after authentication"
        ).increment()
        let labels = [("route", record.endpoint), ("dialect", record.dialect)]
        handles.makeDurationHistogram(
            name: "tollgate_request_duration_seconds", labels: labels, buckets: Self.latencyBuckets, help: "Whole request, as the client saw it"
        ).record(.milliseconds(record.durationMs))
        if let ttft = record.ttftMs {
            handles.makeDurationHistogram(
                name: "tollgate_time_to_first_token_seconds", labels: labels, buckets: Self.latencyBuckets, help: "Until the first token reached Tollgate"
            ).record(.milliseconds(ttft))
        }
        if record.promptTokens > 0 {
            handles.makeCounter(name: "tollgate_prompt_tokens_total", labels: [("model", model)], help: "Input tokens").increment(by: Int64(record.promptTokens))
        }
        if record.completionTokens > 0 {
            handles.makeCounter(name: "tollgate_completion_tokens_total", labels: [("model", model)], help: "Output tokens")
                .increment(by: Int64(record.completionTokens))
        }
        if record.outcome == .upstreamError || record.outcome == .timeout {
            handles.makeCounter(
                name: "tollgate_upstream_errors_total", labels: [("kind", record.outcome.rawValue)], help: "Calls Ollama failed or timed out"
            ).increment()
        }
    }

    // MARK: Refusals and dependencies

    func authRejected(code: String?) {
        let reason =
            switch code {
            case "missing_api_key": "missing"
            case "key_blocked": "blocked"
            case "key_expired": "expired"
            case KeyAuthenticator.tooManyFailuresCode: "address_limited"
            default: "invalid"
            }
        authCounter(reason).increment()
    }

    /// A request refused by `limit` (`rpm`, `tpm`, `parallel`, `budget`).
    func limiterRejected(_ limit: String) {
        limiterRejection(Self.limitNames.contains(limit) ? limit : Self.other).increment()
    }

    static let limitNames: Set<String> = ["rpm", "tpm", "parallel", "budget"]

    func limiterRejection(_ limit: String) -> Counter {
        handles.makeCounter(name: "tollgate_limiter_rejections_total", labels: [("limit", limit)], help: "Requests refused by a rate limit or budget")
    }

    /// A request whose limits were checked without Redis (in-process fallback, or refused under fail-closed).
    func limiterFallback() {
        handles.makeCounter(name: "tollgate_limiter_fallback_total", help: "Admissions made while Redis was unavailable").increment()
    }

    func postgresFailed() { postgresErrors.increment() }
    func redisFailed() { redisErrors.increment() }

    private var postgresErrors: Counter { handles.makeCounter(name: "tollgate_postgres_errors_total", help: "Failed PostgreSQL operations") }
    private var redisErrors: Counter { handles.makeCounter(name: "tollgate_redis_errors_total", help: "Failed Redis operations") }

    private func authCounter(_ reason: String) -> Counter {
        handles.makeCounter(name: "tollgate_auth_rejections_total", labels: [("reason", reason)], help: "Refused credentials (not usage)")
    }

    // MARK: Keys and connections

    /// A key looked up in PostgreSQL (a cache miss).
    func keyLookedUp() { keyLookups.increment() }

    /// How many keys the process caches now.
    func keyCache(_ counts: (known: Int, unknown: Int)) {
        handles.makeGauge(name: "tollgate_key_cache_entries", labels: [("kind", "known")], help: "Keys cached in this process")
            .set(to: Double(counts.known))
        handles.makeGauge(name: "tollgate_key_cache_entries", labels: [("kind", "unknown")], help: "Keys cached in this process")
            .set(to: Double(counts.unknown))
    }

    func connectionsOpen(_ count: Int) { connectionsOpenGauge.set(to: Double(count)) }
    /// A connection closed at once because `server.max_connections` were open.
    func connectionRejected() { connectionsRejected.increment() }
    /// A connection closed because its client ran out of time.
    func connectionClosed(_ reason: ConnectionCloseReason) { connectionsClosed(reason).increment() }

    private var keyLookups: Counter {
        handles.makeCounter(name: "tollgate_key_lookups_total", help: "Virtual keys looked up in PostgreSQL (key cache misses)")
    }
    private var connectionsRejected: Counter {
        handles.makeCounter(name: "tollgate_connections_rejected_total", help: "Connections closed on arrival because server.max_connections were open")
    }
    private func connectionsClosed(_ reason: ConnectionCloseReason) -> Counter {
        handles.makeCounter(
            name: "tollgate_connections_timed_out_total", labels: [("reason", reason.rawValue)], help: "Connections closed because the client ran out of time"
        )
    }

    // MARK: Usage pipeline

    func usageQueue(depth: Int, oldest: ContinuousClock.Instant?) {
        usageQueueDepth.set(to: Double(depth))
        let lag = oldest.map { $0.duration(to: .now) } ?? .zero
        usageWriteLag.set(to: Double(lag.components.seconds) + Double(lag.components.attoseconds) / 1e18)
    }

    func usageWritten(_ count: Int) { usageRecordsWritten.increment(by: Int64(count)) }

    func usageJournal(bytes: Int) { usageJournalBytes.set(to: Double(bytes)) }
    func usageJournalOverWarning(_ over: Bool) { usageJournalOverWarningGauge.set(to: over ? 1 : 0) }
    func usageJournalFull(_ full: Bool) { usageJournalFullGauge.set(to: full ? 1 : 0) }
    /// A model request answered 503 `usage_journal_full`.
    func usageJournalRefused() { usageJournalRefusals.increment() }
    /// A record the journal could not take (it stays in memory only).
    func usageJournalWriteFailed() { usageJournalWriteErrors.increment() }
    /// `journal_fsync: always`: a request whose record's sync failed or passed its deadline.
    func usageJournalSyncFailed() { usageJournalSyncErrors.increment() }
    /// Records an earlier process left in the journal, read back to be written.
    func usageReplayed(_ count: Int) { usageJournalReplayed.increment(by: Int64(count)) }

    private var usageJournalRefusals: Counter {
        handles.makeCounter(name: "tollgate_usage_journal_refusals_total", help: "Model requests refused because the usage journal was full")
    }
    private var usageJournalWriteErrors: Counter {
        handles.makeCounter(name: "tollgate_usage_journal_write_errors_total", help: "Usage records the journal could not write (kept in memory only)")
    }
    private var usageJournalSyncErrors: Counter {
        handles.makeCounter(
            name: "tollgate_usage_journal_sync_errors_total",
            help: "Requests whose usage record's fdatasync failed or took too long (journal_fsync: always)"
        )
    }
    /// Bytes of the journal that held no whole record when it was opened (copied to quarantine files).
    func usageJournalDamaged(bytes: Int) { usageJournalDamagedBytes.increment(by: Int64(bytes)) }
    private var usageJournalDamagedBytes: Counter {
        handles.makeCounter(
            name: "tollgate_usage_journal_damaged_bytes_total", help: "Usage journal bytes found damaged on start (torn or corrupt frames), quarantined"
        )
    }
    private var usageJournalReplayed: Counter {
        handles.makeCounter(name: "tollgate_usage_journal_replayed_total", help: "Usage records replayed from the journal after a restart")
    }

    /// The text exposition of every metric.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
