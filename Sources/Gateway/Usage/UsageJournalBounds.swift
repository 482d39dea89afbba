/// The journal's size against its warning level and its bound: a pure state machine, fed the journal's size
/// after every change, that says what to log and which gauges to move.
///
/// Each crossing is reported once, so a journal hovering at a threshold does not flood the log; while the
/// journal is over its bound under `serve`, one error is reported every ``serveErrorEvery`` appends, so an
/// operator sees usage piling up past the bound in the log, not only on a dashboard.
struct UsageJournalBounds: Sendable {
    typealias Policy = GatewayConfig.Usage.JournalFullPolicy

    /// Under `serve`, appends past the bound between two error lines.
    static let serveErrorEvery = 1000

    let warnBytes: Int
    let maxBytes: Int
    let policy: Policy
    private(set) var isOverWarning = false
    private(set) var isFull = false
    /// Records appended since the journal went over its bound.
    private(set) var appendsWhileFull = 0

    init(warnBytes: Int, maxBytes: Int, policy: Policy) {
        self.warnBytes = warnBytes
        self.maxBytes = maxBytes
        self.policy = policy
    }

    /// Something to log or show, in the order it happened.
    enum Event: Equatable, Sendable {
        case overWarning(bytes: Int)
        case underWarning(bytes: Int)
        case full(bytes: Int)
        case notFull(bytes: Int)
        /// Under `serve`: still over the bound after `appends` more records.
        case stillFull(bytes: Int, appends: Int)
    }

    /// The journal now holds `bytes`; `appended` when a record was just added (rather than records released).
    mutating func update(bytes: Int, appended: Bool) -> [Event] {
        var events: [Event] = []
        let overWarning = bytes >= warnBytes
        if overWarning != isOverWarning {
            isOverWarning = overWarning
            events.append(overWarning ? .overWarning(bytes: bytes) : .underWarning(bytes: bytes))
        }
        let full = bytes >= maxBytes
        if full != isFull {
            isFull = full
            appendsWhileFull = 0
            events.append(full ? .full(bytes: bytes) : .notFull(bytes: bytes))
        } else if full && appended {
            appendsWhileFull += 1
            if policy == .serve && appendsWhileFull % Self.serveErrorEvery == 0 {
                events.append(.stillFull(bytes: bytes, appends: appendsWhileFull))
            }
        }
        return events
    }

    /// Whether new model requests are turned away now.
    var refusesNewRequests: Bool { isFull && policy == .refuse }
}
