/// What payload logging kept of one request (`request_payloads`), already redacted and capped.
///
/// Optional on ``UsageRecord`` and `Codable`, so records journaled to disk keep their payload.
public struct UsagePayload: Sendable, Equatable, Codable {
    /// How much was kept; see ``PayloadPolicy``.
    public enum Mode: String, Sendable, Codable {
        /// Request parameters and the shape of the conversation, no message text.
        case metadata
        /// The request body and the answer, redacted and capped.
        case full
    }

    public var mode: Mode
    /// JSON text (in `full` mode possibly cut at the cap, then no longer valid JSON).
    public var request: String?
    /// JSON text (in `full` mode possibly cut at the cap).
    public var response: String?
    /// Whether either part was cut at `usage.payload_max_bytes`.
    public var truncated: Bool

    public init(mode: Mode, request: String?, response: String?, truncated: Bool) {
        self.mode = mode
        self.request = request
        self.response = response
        self.truncated = truncated
    }
}

extension UsageRecord {
    /// The bytes of the payload's texts (0 without one): what a record adds to a batch beyond its columns.
    var payloadBytes: Int { (payload?.request?.utf8.count ?? 0) + (payload?.response?.utf8.count ?? 0) }
}
