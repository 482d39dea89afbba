import Foundation
import Locking

/// Workers sending model calls back to back until told to stop: OpenAI, Anthropic and Ollama-native, streamed
/// and not, with keys K1 and K2 (a third of the calls), alternating between the replicas.
struct ChaosLoad {
    let replicas: ChaosReplicas
    let keys: [String: String]
    let clock: ChaosClock
    let ledger: ChaosLedger

    static let kinds: [(dialect: String, stream: Bool)] = [
        ("openai", false), ("anthropic", true), ("ollama", false), ("openai", true), ("anthropic", false), ("ollama", true),
    ]

    func run(workers: Int, until stop: Flag) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var turn = 0
                    while !stop.isRaised {
                        turn += 1
                        let kind = Self.kinds[turn % Self.kinds.count]
                        let replica = (worker + turn / Self.kinds.count) % 2 == 0 ? "A" : "B"
                        let key = (worker + turn) % 3 == 0 ? "K2" : "K1"
                        let call = await send(dialect: kind.dialect, stream: kind.stream, key: key, replica: replica)
                        ledger.add(call)
                        // A replica that is down refuses at once: do not spin on it.
                        if call.answer.ending == .refused { try? await Task.sleep(for: .milliseconds(50)) }
                    }
                }
            }
        }
    }

    func send(dialect: String, stream: Bool, key: String, replica: String) async -> ChaosCall {
        let secret = keys[key] ?? ""
        let port = (try? replicas.get(replica).port) ?? 1
        let sentAt = clock.now
        let sentWall = Date()
        let (path, body, headers): (String, String, [String: String]) =
            switch dialect {
            case "anthropic":
                (
                    "/v1/messages", #"{"model":"gpt-4o-mini","max_tokens":32,"stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#,
                    ["x-api-key": secret, "anthropic-version": "2023-06-01"]
                )
            case "ollama":
                ("/api/chat", #"{"model":"qwen3","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#, ["Authorization": "Bearer \(secret)"])
            default:
                (
                    "/v1/chat/completions", #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#,
                    ["Authorization": "Bearer \(secret)"]
                )
            }
        let answer = await LoopbackCall.post(port: port, path: path, json: body, headers: headers, deadline: ChaosTests.clientDeadline)
        return ChaosCall(replica: replica, key: key, dialect: dialect, stream: stream, sentAt: sentAt, sentWall: sentWall, answer: answer)
    }
}

/// One model call of the load and how it ended.
struct ChaosCall: Sendable {
    var replica: String
    var key: String
    var dialect: String
    var stream: Bool
    /// When it was sent, on the test's clock and on the wall clock (which `request_log.started_at` uses).
    var sentAt: Duration
    var sentWall: Date
    var answer: LoopbackCall.Answer

    var requestID: String? { answer.headers["x-tollgate-request-id"] }
    var endedAt: Duration { sentAt + answer.duration }
    /// A 200 that reached its end: the gateway finished it, so it logged it.
    var needsUsageRow: Bool { answer.status == 200 && answer.ending == .complete }
    /// The error code of an error answer (OpenAI's `error.code`, else the Anthropic/Ollama error text).
    var errorCode: String? {
        guard let json = HTTP.json(answer.body) else { return nil }
        if let error = json["error"] as? [String: Any] { return (error["code"] as? String) ?? (error["type"] as? String) }
        return json["error"] as? String
    }

    func describe(_ clock: ChaosClock) -> String {
        "\(requestID ?? "(no request id)") [replica \(replica), \(key), \(dialect)\(stream ? " stream" : ""), sent \(clock.format(sentAt)), "
            + "\(answer.status.map { "status \($0)" } ?? "no status"), \(answer.ending.rawValue) after \(ChaosClock.seconds(answer.duration))]"
    }
}


/// Every call of the load, appended by the workers.
final class ChaosLedger: Sendable {
    private let storage = Locked<[ChaosCall]>([])
    func add(_ call: ChaosCall) { storage.withLock { $0.append(call) } }
    var calls: [ChaosCall] { storage.withLock { $0 } }
}
