public import Foundation

/// What one request did and cost: one `request_log` row.
///
/// `Codable` because each record is written to the usage journal (``UsageJournal``) before it is queued
/// for PostgreSQL, and read back from it after a crash or an outage.
public struct UsageRecord: Sendable, Equatable, Codable {
    /// How a request ended, as stored in `request_log.status`.
    public enum Outcome: String, Sendable, Codable {
        /// Answered in full.
        case ok
        /// Refused because of the request itself (bad body, unknown model, too large).
        case clientError = "client_error"
        /// Ollama failed or could not be reached.
        case upstreamError = "upstream_error"
        /// Ollama did not answer in time.
        case timeout
        /// The client went away before the answer was complete.
        case clientClosed = "client_closed"
    }

    public var requestID: String
    public var keyID: String
    public var userID: String?
    public var dialect: String
    public var endpoint: String
    public var requestedModel: String?
    public var servedModel: String?
    public var backend: String?
    public var stream: Bool
    public var outcome: Outcome
    public var httpStatus: Int
    public var errorType: String?
    public var promptTokens: Int = 0
    public var completionTokens: Int = 0
    public var costMicros: Int64 = 0
    public var startedAt: Date
    public var ttftMs: Double?
    public var durationMs: Double = 0
    public var upstreamMs: Double?
    public var ollamaTotalNs: Int64?
    public var ollamaLoadNs: Int64?
    public var ollamaPromptEvalNs: Int64?
    public var ollamaEvalNs: Int64?
    /// What payload logging kept of the request and answer; nil when payload logging is off.
    public var payload: UsagePayload? = nil
    /// Backends called for the request (more than one after a failover); nil when none was.
    public var attempts: Int? = nil
    /// How long the request waited in the fleet's queue for a backend slot; nil when it did not wait.
    public var queueWaitMs: Double? = nil
    /// The key's team when the request ran (its spend is charged to that team); nil for keys without one.
    public var teamID: String? = nil
    /// The person behind the request, as the request named them (``EndUser``); nil when it named nobody.
    public var endUser: String? = nil
    /// The limit charges to settle when the record is produced (nil when none were made).
    ///
    /// Not journaled: it is settled in ``UsageRecorder/record(_:)`` before the record is written, and a
    /// replayed record is never settled again (its reservations expire in Redis by their TTL).
    var admission: AdmissionTicket? = nil

    /// The fields the journal stores: every stored property but ``admission``, each under its name in
    /// snake_case (the `request_log` column's name).
    ///
    /// When you add a property, add its case here too, or it is silently dropped from journaled records
    /// and lost on replay. New properties must be optional (or have a default) and `Codable`, so that records
    /// journaled by an older version still decode. `UsageRecordCodingTests` fails when a property is missing.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case requestID = "request_id"
        case keyID = "key_id"
        case userID = "user_id"
        case dialect, endpoint
        case requestedModel = "requested_model"
        case servedModel = "served_model"
        case backend, stream, outcome
        case httpStatus = "http_status"
        case errorType = "error_type"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case costMicros = "cost_micros"
        case startedAt = "started_at"
        case ttftMs = "ttft_ms"
        case durationMs = "duration_ms"
        case upstreamMs = "upstream_ms"
        case ollamaTotalNs = "ollama_total_ns"
        case ollamaLoadNs = "ollama_load_ns"
        case ollamaPromptEvalNs = "ollama_prompt_eval_ns"
        case ollamaEvalNs = "ollama_eval_ns"
        case payload, attempts
        case queueWaitMs = "queue_wait_ms"
        case teamID = "team_id"
        case endUser = "end_user"
    }
}
