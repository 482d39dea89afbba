import Foundation

/// When each fault happened, on the test's clock.
final class ChaosTimeline: @unchecked Sendable {
    // Invariant: written by the fault sequence only, read after it returned.
    /// Both replicas answered `/health/live` for the first time.
    var replicasUp = Duration.zero
    var redisDown = Duration.zero, redisBack = Duration.zero
    /// When both replicas were subscribed to key changes again (nil: not within 3 s).
    var resubscribed: Duration?
    var blockAnswered = Duration.zero, blockWall = Date.distantFuture
    var postgresDown = Duration.zero, postgresBack = Duration.zero
    /// Each replica's answer to the first admin call (`/key/info`, which reads PostgreSQL) once PostgreSQL was back.
    var firstCallsAfterPostgres: [(replica: String, status: Int, body: String)] = []
    var replicaKilled = Duration.zero, replicaBack = Duration.zero
    var stallStart = Duration.zero, stallEnd = Duration.zero
    var loadStopped = Duration.zero

    func describe(_ clock: ChaosClock) -> String {
        "Redis down \(clock.format(redisDown))..\(clock.format(redisBack)), both resubscribed \(resubscribed.map(clock.format) ?? "never"), K2 blocked \(clock.format(blockAnswered)), "
            + "PostgreSQL down \(clock.format(postgresDown))..\(clock.format(postgresBack)), "
            + "B killed \(clock.format(replicaKilled)) and back \(clock.format(replicaBack)), "
            + "Ollama stalled \(clock.format(stallStart))..\(clock.format(stallEnd)), load stopped \(clock.format(loadStopped))"
    }

    /// Which faults a call overlapped, for the failure messages.
    func phase(of call: ChaosCall, _ clock: ChaosClock) -> String {
        let spans: [(String, Duration, Duration)] = [
            ("Redis restart", redisDown, redisBack), ("PostgreSQL restart", postgresDown, postgresBack),
            ("replica B kill/restart", replicaKilled, replicaBack), ("upstream stall", stallStart, stallEnd),
        ]
        let overlapping = spans.filter { call.sentAt <= $0.2 && call.endedAt >= $0.1 }.map(\.0)
        return overlapping.isEmpty ? "" : " during the " + overlapping.joined(separator: " and ")
    }
}

/// The test's clock: time since the run began.
struct ChaosClock: Sendable {
    let start = ContinuousClock.now
    var now: Duration { start.duration(to: .now) }
    func format(_ offset: Duration) -> String { "+" + Self.seconds(offset) }
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
