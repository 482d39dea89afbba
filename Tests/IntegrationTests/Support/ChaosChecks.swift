import Foundation
import Testing

/// The guarantees the faults put at risk, each recorded as one issue naming it, with up to five examples.
struct ChaosChecks {
    let calls: [ChaosCall]
    let rows: [String: ChaosLogRow]
    let timeline: ChaosTimeline
    let k2ID: String
    let clock: ChaosClock
    private let failed = Flag()

    init(calls: [ChaosCall], rows: [String: ChaosLogRow], timeline: ChaosTimeline, k2ID: String, clock: ChaosClock) {
        self.calls = calls
        self.rows = rows
        self.timeline = timeline
        self.k2ID = k2ID
        self.clock = clock
    }

    var anyFailed: Bool { failed.isRaised }

    private func fail(_ guarantee: String, _ offenders: [String]) {
        guard !offenders.isEmpty else { return }
        failed.raise()
        let examples = offenders.prefix(5).joined(separator: "\n  ")
        Issue.record("\(guarantee): \(offenders.count) violation(s), e.g.\n  \(examples)")
    }

    /// No call outlives the gateway's request deadline (plus slack); a call the client gave up on hung.
    func noCallHung() {
        let limit = ChaosTests.requestDeadline + ChaosTests.slack
        let hung = calls.filter { $0.answer.ending == .deadline || $0.answer.duration > limit }
        fail(
            "no request may run past the gateway's \(ChaosClock.seconds(ChaosTests.requestDeadline)) request deadline "
                + "(+ \(ChaosClock.seconds(ChaosTests.slack)) slack)",
            hung.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock))" }
        )
    }

    /// Calls in flight while Ollama was stalled end by the idle deadline (streams) or the first-byte deadline (whole answers).
    func stalledStreamsEnded() {
        // Every call in flight during the stall: Ollama reads its behaviour when a call reaches it, later than the
        // client sent it; calls that did not meet the stall are over in milliseconds anyway.
        let during = calls.filter { $0.sentAt < timeline.stallEnd && $0.endedAt > timeline.stallStart && $0.answer.ending != .refused }
        let late = during.filter { call in
            let limit = (call.stream ? ChaosTests.streamIdleDeadline : ChaosTests.firstByteDeadline) + ChaosTests.slack
            return call.answer.duration > limit
        }
        fail(
            "a call Ollama stalls on must end within the stream idle deadline (\(ChaosClock.seconds(ChaosTests.streamIdleDeadline))) "
                + "or, not streamed, the first-byte deadline (\(ChaosClock.seconds(ChaosTests.firstByteDeadline))), + \(ChaosClock.seconds(ChaosTests.slack)) slack",
            late.map { "\($0.describe(clock)), upstream stalled from \(clock.format(timeline.stallStart))" }
        )
    }

    /// Every call answered 200 and finished has exactly one request_log row.
    func every200HasOneUsageRow() {
        let answered = calls.filter(\.needsUsageRow)
        let noID = answered.filter { $0.requestID == nil }
        fail("every answer carries its x-tollgate-request-id", noID.map { $0.describe(clock) })
        let missing = answered.filter { call in call.requestID.map { rows[$0]?.copies != 1 } ?? false }
        fail(
            "every 200 has exactly one request_log row (20 s allowed for the journals to drain, the killed replica's replayed on restart)",
            missing.map { call in
                let copies = call.requestID.flatMap { rows[$0]?.copies } ?? 0
                return "\(call.describe(clock)) has \(copies) rows\(timeline.phase(of: call, clock))"
            }
        )
    }

    /// No K2 call that started more than `blockPropagation` after the block answer was served.
    func blockedKeyNotServed() {
        let cutoff = timeline.blockWall.timeIntervalSince1970 + ChaosTests.blockPropagation
        let byID = Dictionary(calls.compactMap { call in call.requestID.map { ($0, call) } }, uniquingKeysWith: { first, _ in first })
        let served = rows.filter { $0.value.keyID == k2ID && $0.value.status == "ok" && $0.value.startedAt > cutoff }
            .sorted { $0.value.startedAt < $1.value.startedAt }
        let seenByClients = calls.filter { $0.key == "K2" && $0.answer.status == 200 && $0.sentWall.timeIntervalSince1970 > cutoff }
        let fromRows = served.map { id, row in
            let after = String(format: "%.2f", row.startedAt - timeline.blockWall.timeIntervalSince1970)
            return "K2 blocked through replica A at \(clock.format(timeline.blockAnswered)) was served by replica \(byID[id]?.replica ?? "?") "
                + "at block+\(after)s: \(byID[id]?.describe(clock) ?? id) (request_log status ok)"
        }
        let fromClients = seenByClients.filter { call in !served.contains { $0.key == call.requestID } }.map { call in
            let after = String(format: "%.2f", call.sentWall.timeIntervalSince1970 - timeline.blockWall.timeIntervalSince1970)
            return "K2 blocked through replica A at \(clock.format(timeline.blockAnswered)) was answered 200 by replica \(call.replica) "
                + "at block+\(after)s: \(call.describe(clock))"
        }
        fail(
            "a key blocked through one replica is refused by every replica within \(ChaosTests.blockPropagation) s of the block's answer "
                + "(Redis had returned at \(clock.format(timeline.redisBack)))",
            fromRows + fromClients
        )
    }

    /// A response is cut off only by its replica's SIGKILL.
    func noCutConnections() {
        let cut = calls.filter { call in
            guard call.answer.ending == .cut else { return false }
            // In flight when B died, or sent to its port while it was dying (the kernel may accept, then reset).
            let byTheKill = call.replica == "B" && call.sentAt < timeline.replicaBack && call.endedAt >= timeline.replicaKilled - .milliseconds(500)
            return !byTheKill
        }
        fail("no response is cut off mid-way (only the SIGKILLed replica's in-flight calls may be)", cut.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock))" })
    }

    /// Outages give 503/504 in the caller's dialect, never an internal error.
    func no500() {
        let failed500 = calls.filter { $0.answer.status == 500 }
        fail(
            "no request is answered 500 (a PostgreSQL or Redis that restarted is reconnected, not reported as an internal error)",
            failed500.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock)): \($0.answer.body.prefix(200))" }
        )
    }

    /// A model Ollama lists is never unknown, on a replica just started either.
    func noModelNotFound() {
        let notFound = calls.filter { $0.answer.status == 404 }
        fail(
            "a model Ollama lists is never answered 404 model_not_found, by a replica just started either "
                + "(A and B up at \(clock.format(timeline.replicasUp)), B restarted at \(clock.format(timeline.replicaBack)))",
            notFound.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock)): \($0.answer.body.prefix(200))" }
        )
    }

    /// Besides 200: 429 (limits), 503/504 (an outage), K2's 401 once its block was asked for. Anything else is wrong
    /// (500 and 404 have their own checks).
    func noUnexpectedStatus() {
        let odd = calls.filter { call in
            guard let status = call.answer.status, ![200, 404, 429, 500, 503, 504].contains(status) else { return false }
            return !(status == 401 && call.key == "K2" && call.endedAt >= timeline.redisBack)
        }
        fail(
            "model calls are answered 200, or 429/503/504 while a limit or an outage applies, or 401 for the blocked key",
            odd.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock)): \($0.answer.body.prefix(200))" }
        )
    }

    /// The first call that reads PostgreSQL after its restart is served (on a fresh connection), not failed.
    func postgresReconnected() {
        fail(
            "the first call that needs PostgreSQL after it restarted is answered 200 (PostgreSQL was back at \(clock.format(timeline.postgresBack)))",
            timeline.firstCallsAfterPostgres.filter { $0.status != 200 }.map { "replica \($0.replica): /key/info answered \($0.status) \($0.body.prefix(200))" }
        )
    }

    /// Counts per outcome, per replica and per dialect, and the timeline.
    func summary(ready: [String: (status: Int, body: String)]) -> String {
        func outcome(_ call: ChaosCall) -> String {
            call.answer.status.map { "\($0) \(call.answer.ending.rawValue)" } ?? call.answer.ending.rawValue
        }
        func counts(_ key: (ChaosCall) -> String) -> String {
            Dictionary(grouping: calls, by: key).map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
        }
        let rowsFound = calls.filter(\.needsUsageRow).filter { $0.requestID.map { rows[$0] != nil } ?? false }.count
        return """
            chaos: \(calls.count) calls in \(ChaosClock.seconds(timeline.loadStopped)), slowest \(ChaosClock.seconds(calls.map(\.answer.duration).max() ?? .zero))
              outcomes: \(counts(outcome))
              by replica: \(counts { "\($0.replica) \(outcome($0))" })
              by dialect: \(counts { "\($0.dialect)\($0.stream ? " stream" : "") \(outcome($0))" })
              usage rows found for \(rowsFound) of \(calls.filter(\.needsUsageRow).count) finished 200s
              timeline: \(timeline.describe(clock))
              ready at the end: \(ready.map { "\($0.key) \($0.value.status)" }.sorted().joined(separator: ", "))
            """
    }
}


/// One request_log row, as the checks need it.
struct ChaosLogRow {
    var keyID: String
    var status: String
    /// Rows with this request id (the primary key makes it 1; counted anyway).
    var copies: Int
    /// `started_at`, seconds since 1970.
    var startedAt: Double
}
