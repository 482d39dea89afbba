public import Foundation

/// What one request did and cost: one `request_log` row.
public struct UsageRecord: Sendable, Equatable {
    /// How a request ended, as stored in `request_log.status`.
    public enum Outcome: String, Sendable {
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
    /// The limit charges to settle when the record is produced (nil when none were made).
    var admission: AdmissionTicket? = nil
}
