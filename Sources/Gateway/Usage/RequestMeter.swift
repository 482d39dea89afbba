import Dialects
import Foundation

/// Times one request and fills in its ``UsageRecord`` as the request learns more about itself.
///
/// Each route makes one meter per request and ends it exactly once, whatever happens; ending it again is
/// a no-op, so an error path cannot log a request twice.
struct RequestMeter: Sendable {
    private(set) var record: UsageRecord
    private let started = ContinuousClock.now
    private var upstreamStarted: ContinuousClock.Instant?
    private(set) var isFinished = false
    /// The request's payload as payload logging keeps it; nil when payload logging is off.
    private var payload: PayloadCapture?
    /// The request's backend slot and attempts; ending the meter frees the slot.
    let fleet = FleetTicket()
    /// What the fleet needs to route the request (its model and allowed backends), once it is resolved.
    private(set) var route: FleetState.Request?

    init(context: GatewayRequestContext, dialect: String, endpoint: String, payloads: PayloadPolicy = .off) {
        payload = payloads.mode == .off ? nil : PayloadCapture(policy: payloads)
        record = UsageRecord(
            requestID: context.requestID, keyID: context.identity?.keyID ?? "anonymous", userID: context.identity?.userID,
            dialect: dialect, endpoint: endpoint, stream: false, outcome: .ok, httpStatus: 200, startedAt: Date()
        )
        record.teamID = context.identity?.key?.team?.id
    }

    /// The request names `endUser` as the person behind it.
    mutating func attributed(to endUser: String?) { record.endUser = endUser }

    mutating func requested(model: String, stream: Bool) {
        record.requestedModel = model
        record.stream = stream
    }

    mutating func resolved(_ model: ResolvedModel) {
        record.servedModel = model.ollamaModel
        route = FleetState.Request(model: ModelName.normalized(model.ollamaModel), allowed: model.backends)
    }

    mutating func upstreamStarting() { upstreamStarted = .now }

    /// Keeps what payload logging wants of the request body (nothing when it is off).
    mutating func capturedRequest(_ body: [UInt8], parsed: JSON?, userAgent: String?) {
        guard payload != nil else { return }
        payload?.request(body: body, parsed: parsed, userAgent: userAgent)
    }

    /// True when payload logging keeps something of the request body (so it parses it).
    var capturesPayload: Bool { payload != nil }

    /// Keeps what payload logging wants of one piece of the answer (nothing when it is off).
    mutating func observe(_ event: ChatEvent) {
        payload?.add(event)
    }

    /// The request was admitted with `ticket`; the record carries it so its charges are settled.
    mutating func admitted(_ ticket: AdmissionTicket?) { record.admission = ticket }

    /// The first token (or, for a non-streamed answer, the first byte) reached the gateway.
    mutating func firstToken() {
        if record.ttftMs == nil { record.ttftMs = Self.milliseconds(started.duration(to: .now)) }
    }

    mutating func counted(_ usage: Usage, model: ResolvedModel?) {
        record.promptTokens = usage.promptTokens
        record.completionTokens = usage.completionTokens
        record.ollamaTotalNs = usage.totalNanoseconds
        record.ollamaLoadNs = usage.loadNanoseconds
        record.ollamaPromptEvalNs = usage.promptEvalNanoseconds
        record.ollamaEvalNs = usage.evalNanoseconds
        if let model {
            record.costMicros = model.costMicros(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
        }
    }

    /// Ends the request; returns the record to log, or nil if it was already ended.
    mutating func finish(_ outcome: UsageRecord.Outcome, status: Int, errorType: String? = nil) -> UsageRecord? {
        guard !isFinished else { return nil }
        isFinished = true
        let now = ContinuousClock.now
        record.outcome = outcome
        record.httpStatus = status
        record.errorType = errorType
        record.durationMs = Self.milliseconds(started.duration(to: now))
        if let upstreamStarted { record.upstreamMs = Self.milliseconds(upstreamStarted.duration(to: now)) }
        record.payload = payload?.payload()
        let fleet = self.fleet.finish(Self.callOutcome(outcome))
        record.backend = fleet.backend
        record.attempts = fleet.attempts > 0 ? fleet.attempts : nil
        record.queueWaitMs = fleet.queueWaitMs
        return record
    }

    /// Ends the request with `error`'s status and kind.
    mutating func finish(_ error: DialectError) -> UsageRecord? {
        let outcome: UsageRecord.Outcome =
            switch error.kind {
            case .upstreamTimeout: .timeout
            case .upstreamUnavailable, .overloaded, .internalError: .upstreamError
            default: .clientError
            }
        return finish(outcome, status: error.status, errorType: error.code ?? OpenAIErrorBody.type(of: error.kind))
    }

    /// What an ending says of the backend that served it.
    private static func callOutcome(_ outcome: UsageRecord.Outcome) -> CallOutcome {
        switch outcome {
        case .ok: .ok
        case .upstreamError, .timeout: .failed
        case .clientError, .clientClosed: .neutral
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
