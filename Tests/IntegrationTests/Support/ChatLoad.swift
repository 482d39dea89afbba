import Foundation
import FoundationNetworking
import Synchronization
import Locking

/// A load generator for gateway processes: workers sending chat requests back to back, streamed and not,
/// noting for each whether the client saw the whole answer and which request id the gateway gave it.
///
/// URLSession rather than the project's curl engine because the test needs the response's
/// `x-tollgate-request-id` header; bodies are read whole (a stream counts as complete only when the
/// connection delivered all of it, `[DONE]` included).
enum ChatLoad {
    struct Outcome: Sendable {
        var status: Int
        var requestID: String?
        /// The whole answer arrived: a `chat.completion` object, or a stream through `data: [DONE]`.
        var complete: Bool
        var stream: Bool
        var body: String
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    /// One chat request; nil when the connection failed (the gateway was killed, or not there).
    static func chat(_ baseURL: String, key: String, stream: Bool, model: String = "gpt-4o-mini") async -> Outcome? {
        var request = URLRequest(url: URL(string: baseURL + "/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#.utf8)
        guard let (data, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let complete =
            http.statusCode == 200
            && (stream
                ? text.contains("data: [DONE]")
                : ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["choices"] != nil)
        return Outcome(
            status: http.statusCode, requestID: http.value(forHTTPHeaderField: "x-tollgate-request-id"), complete: complete, stream: stream,
            body: String(text.prefix(500))
        )
    }

    /// Runs `workers` loops of requests (alternately streamed and not) until `until` returns true or a request
    /// fails to connect; returns every answered request. `completed` counts the complete answers as they come.
    static func run(
        _ baseURL: String, key: String, workers: Int, completed: Tally = Tally(), until: @escaping @Sendable () -> Bool
    ) async -> [Outcome] {
        await withTaskGroup(of: [Outcome].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var outcomes: [Outcome] = []
                    var stream = worker % 2 == 0
                    while !until() {
                        guard let outcome = await chat(baseURL, key: key, stream: stream) else { break }
                        outcomes.append(outcome)
                        if outcome.complete { completed.add() }
                        stream.toggle()
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }
}

/// A flag tests raise once, read from any task.
final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// A count kept by many tasks.
final class Tally: Sendable {
    private let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// A value set inside one task and read in another (a harness body's result, say).
final class Captured<Value: Sendable>: Sendable {
    private let storage: Locked<Value>
    init(_ value: Value) { storage = Locked(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// The value of the first sample of `name` (any labels) in a Prometheus text exposition.
func metricValue(_ exposition: String, _ name: String) -> Double? {
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        guard parts.count >= 2 else { continue }
        if parts[0] == name || parts[0].hasPrefix(name + "{") { return Double(parts[1]) }
    }
    return nil
}
