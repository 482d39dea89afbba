import FakeOllama
import Foundation
import Postgres
import Synchronization
import Testing

/// The chaos test of issue #11: two `tollgate serve` replicas on one private PostgreSQL and Redis, under a
/// bounded mixed load (three dialects, streamed and not, two limited keys), while Redis restarts, a key is
/// blocked right after it returns, PostgreSQL restarts, one replica is SIGKILLed and restarted on its data
/// directory, and Ollama stalls mid-stream. Afterwards it checks the guarantees the faults put at risk, each
/// failing with a message that names the broken guarantee (see `docs/chaos.md`).
///
/// Bounded (about a minute), loopback only; `scripts/chaos.sh N` runs it N times in a row.
@Suite("Chaos", .serialized)
struct ChaosTests {
    // MARK: The deadlines the checks hold the gateway to

    /// `ollama.request_timeout_s` the replicas are meant to run with: no model call outlives it.
    static let requestDeadline: Duration = .seconds(20)
    /// `ollama.stream_idle_timeout_s` the replicas are meant to run with: a silent upstream stream ends by then.
    static let streamIdleDeadline: Duration = .seconds(2)
    /// `ollama.first_byte_timeout_s` (set below): an unanswered non-streamed call ends by then.
    static let firstByteDeadline: Duration = .seconds(10)
    /// What a loaded 2-core machine may add to any of them.
    static let slack: Duration = .seconds(5)
    /// Each client call gives up (hangs up) after this; past `requestDeadline + slack` a call counts as hung.
    static let clientDeadline: Duration = .seconds(30)
    /// A key blocked through one replica is refused everywhere by then (issue #11: within 1 s).
    static let blockPropagation: TimeInterval = 1.0

    /// The replicas' config file. Unknown keys are refused by the config loader, so settings that do not exist
    /// yet cannot be written here ahead of their fixes.
    // TODO(lead, issue #11): once the stream/request timeout fix is merged, add under `ollama:` below
    //   `stream_idle_timeout_s: 2` and `request_timeout_s: 20` (= streamIdleDeadline, requestDeadline above);
    //   until then stalled streams run to the client's deadline and the stall and hang checks fail.
    static let replicaConfig = """
        models:
          - name: gpt-4o-mini
            ollama_model: llama3.2:latest
            input_price_per_1m: 150
            output_price_per_1m: 600
        ollama:
          first_byte_timeout_s: 10
        usage:
          flush_interval_ms: 200
        """

    /// Ollama's normal pace: a reply of four chunks, 20 ms apart.
    static let healthy = FakeOllamaBehavior(chunks: 4, chunkDelay: .milliseconds(20))
    /// A wedged Ollama: a stream sends its first chunk and then nothing, without closing; a non-streamed
    /// call gets no head at all.
    static let stalled = FakeOllamaBehavior(chunks: 4, chunkDelay: .seconds(300))

    @Test("Restarting Redis and PostgreSQL, killing a replica and stalling Ollama under mixed load break no guarantee")
    func chaos() async throws {
        let services = PrivateServices()
        try await services.start()
        let fake = try await FakeOllama.start(behavior: Self.healthy)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-chaos-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let config = work.appendingPathComponent("tollgate.yaml")
        try Self.replicaConfig.write(to: config, atomically: true, encoding: .utf8)
        let replicas = Replicas()
        do {
            try await Chaos(services: services, fake: fake, work: work, config: config, replicas: replicas).run()
        } catch {
            Issue.record(error)
        }
        replicas.stopAll()
        await fake.stop()
        await services.stop()
        try? FileManager.default.removeItem(at: work)
    }
}

/// One run of the chaos test: the load, the faults in sequence, then the checks.
private struct Chaos {
    let services: PrivateServices
    let fake: FakeOllama
    let work: URL
    let config: URL
    let replicas: Replicas
    let clock = ChaosClock()

    func run() async throws {
        async let first = startReplica("A")
        async let second = startReplica("B")
        let (a, b) = try await (first, second)
        replicas.set("A", a)
        replicas.set("B", b)

        let limits = #""rpm_limit":1000000,"tpm_limit":1000000000,"max_parallel_requests":64,"max_budget":1000,"budget_duration":"30d""#
        let k1 = try await generateKey(on: a, alias: "chaos-k1", limits: limits)
        let k2 = try await generateKey(on: a, alias: "chaos-k2", limits: limits)
        let keys = ["K1": k1.secret, "K2": k2.secret]

        let stop = Flag()
        let ledger = Ledger()
        let load = Task { await Load(replicas: replicas, keys: keys, clock: clock, ledger: ledger).run(workers: 8, until: stop) }
        let timeline: Timeline
        do {
            timeline = try await faults(k2: k2.secret)
        } catch {
            stop.raise()
            _ = await load.value
            throw error
        }
        stop.raise()
        await load.value
        timeline.loadStopped = clock.now

        let calls = ledger.calls
        let pool = PostgresPool(configuration: .init(url: services.databaseURL, maxConnections: 1), logger: TestServices.logger)
        let k2ID = try await keyID(pool, hash: k2.hash)
        let rows = await waitForRows(pool, of: calls, within: .seconds(20))
        let ready = await waitForReady(within: .seconds(15))

        let checks = Checks(calls: calls, rows: rows, timeline: timeline, k2ID: k2ID, clock: clock)
        print(checks.summary(ready: ready))
        checks.noCallHung()
        checks.stalledStreamsEnded()
        checks.every200HasOneUsageRow()
        checks.blockedKeyNotServed()
        checks.noCutConnections()
        checks.no500()
        checks.noModelNotFound()
        checks.noUnexpectedStatus()
        for (name, answer) in ready where answer.status != 200 {
            Issue.record("replica \(name) is not ready 15 s after the faults ended: /health/ready answered \(answer.status) \(answer.body)")
        }
        if checks.anyFailed || ready.values.contains(where: { $0.status != 200 }) {
            for (name, log) in replicas.logs() {
                print("--- replica \(name) log (last 40 lines) ---\n" + log.split(separator: "\n").suffix(40).joined(separator: "\n"))
            }
        }
    }

    /// The faults, in sequence, with pauses under load between them.
    func faults(k2: String) async throws -> Timeline {
        let timeline = Timeline()
        try await Task.sleep(for: .seconds(4))  // both keys cached on both replicas

        try await services.stopRedis()
        timeline.redisDown = clock.now
        try await Task.sleep(for: .seconds(2))
        try await services.startRedis()
        timeline.redisBack = clock.now
        (timeline.blockAnswered, timeline.blockWall) = try await block(k2, on: try replicas.get("A"))

        try await Task.sleep(for: .seconds(4))
        try await services.stopPostgres()
        timeline.postgresDown = clock.now
        try await Task.sleep(for: .seconds(3))
        try await services.startPostgres()
        timeline.postgresBack = clock.now

        try await Task.sleep(for: .seconds(4))
        let killed = try replicas.get("B")
        timeline.replicaKilled = clock.now
        killed.kill9()
        try await Task.sleep(for: .seconds(1))
        let restarted = try await startReplica("B", dataDirectory: killed.dataDirectory)
        replicas.set("B", restarted)
        timeline.replicaBack = clock.now

        try await Task.sleep(for: .seconds(4))
        fake.behavior = ChaosTests.stalled
        timeline.stallStart = clock.now
        try await Task.sleep(for: .seconds(5))
        fake.behavior = ChaosTests.healthy
        timeline.stallEnd = clock.now

        try await Task.sleep(for: .seconds(4))  // recovery under load
        return timeline
    }

    func startReplica(_ name: String, dataDirectory: URL? = nil) async throws -> GatewayProcess {
        try await GatewayProcess.start(
            databaseURL: services.databaseURL, redisURL: services.redisURL, ollamaURL: fake.baseURL, masterKey: GatewayHarness.masterKey,
            logLevel: "info", dataDirectory: dataDirectory ?? work.appendingPathComponent("data-\(name)"),
            environment: ["TOLLGATE_CONFIG": config.path]
        )
    }

    func generateKey(on gateway: GatewayProcess, alias: String, limits: String) async throws -> (secret: String, hash: String) {
        let created = try await HTTP.shared.request(
            "POST", gateway.baseURL + "/key/generate", json: #"{"key_alias":"\#(alias)",\#(limits)}"#, key: GatewayHarness.masterKey
        )
        let json = try #require(HTTP.json(created.body), "key/generate answered \(created.status) \(created.body)")
        return (try #require(json["key"] as? String), try #require(json["token"] as? String))
    }

    /// Blocks `secret` through `gateway`; returns when (test clock and wall clock) the successful answer came
    /// back. A failed attempt is itself a broken guarantee (an admin call right after Redis returned), noted
    /// and retried for up to 5 s.
    func block(_ secret: String, on gateway: GatewayProcess) async throws -> (Duration, Date) {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let answer = try? await HTTP.shared.request("POST", gateway.baseURL + "/key/block", json: #"{"key":"\#(secret)"}"#, key: GatewayHarness.masterKey)
            if answer?.status == 200 { return (clock.now, Date()) }
            Issue.record("/key/block on replica A \(clock.format(clock.now)) right after Redis returned answered \(answer.map { "\($0.status) \($0.body)" } ?? "nothing")")
            guard ContinuousClock.now < deadline else { throw HTTP.Failure(message: "K2 could not be blocked") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func keyID(_ pool: PostgresPool, hash: String) async throws -> String {
        let rows = try await pool.query("SELECT id::text AS id FROM api_keys WHERE key_hash = $1", [.text(hash)])
        return try #require(rows.value(0, "id"), "K2 is not in api_keys")
    }

    /// The request_log rows of the calls' request ids, once all of them are there or `within` is over.
    func waitForRows(_ pool: PostgresPool, of calls: [ChaosCall], within: Duration) async -> [String: LogRow] {
        let wanted = Set(calls.filter(\.needsUsageRow).compactMap(\.requestID))
        let deadline = ContinuousClock.now + within
        var rows: [String: LogRow] = [:]
        while true {
            let sql = "SELECT request_id, key_id, status, count(*) OVER (PARTITION BY request_id) AS n, extract(epoch FROM started_at) AS t FROM request_log"
            if let result = try? await pool.query(sql) {
                rows = [:]
                for row in result.dictionaries {
                    guard let id = row["request_id"] ?? nil else { continue }
                    rows[id] = LogRow(
                        keyID: (row["key_id"] ?? nil) ?? "", status: (row["status"] ?? nil) ?? "", copies: Int((row["n"] ?? nil) ?? "") ?? 0,
                        startedAt: Double((row["t"] ?? nil) ?? "") ?? 0
                    )
                }
            }
            if wanted.isSubset(of: rows.keys) || ContinuousClock.now > deadline { return rows }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Each replica's last `/health/ready` answer, polled until both are 200 or `within` is over.
    func waitForReady(within: Duration) async -> [String: (status: Int, body: String)] {
        let deadline = ContinuousClock.now + within
        var answers: [String: (status: Int, body: String)] = [:]
        while true {
            for name in ["A", "B"] {
                guard let url = try? replicas.get(name).baseURL else { continue }
                let answer = try? await HTTP.shared.request("GET", url + "/health/ready")
                answers[name] = answer ?? (0, "no answer")
            }
            if answers.values.allSatisfy({ $0.status == 200 }) || ContinuousClock.now > deadline { return answers }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

// MARK: - The load

/// Workers sending model calls back to back until told to stop: OpenAI, Anthropic and Ollama-native, streamed
/// and not, with keys K1 and K2 (a third of the calls), alternating between the replicas.
private struct Load {
    let replicas: Replicas
    let keys: [String: String]
    let clock: ChaosClock
    let ledger: Ledger

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
private struct ChaosCall: Sendable {
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

/// One request_log row, as the checks need it.
private struct LogRow {
    var keyID: String
    var status: String
    /// Rows with this request id (the primary key makes it 1; counted anyway).
    var copies: Int
    /// `started_at`, seconds since 1970.
    var startedAt: Double
}

// MARK: - The checks

/// The guarantees the faults put at risk, each recorded as one issue naming it, with up to five examples.
private struct Checks {
    let calls: [ChaosCall]
    let rows: [String: LogRow]
    let timeline: Timeline
    let k2ID: String
    let clock: ChaosClock
    private let failed = Flag()

    init(calls: [ChaosCall], rows: [String: LogRow], timeline: Timeline, k2ID: String, clock: ChaosClock) {
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
        Issue.record("\(guarantee): \(offenders.count) violation(s), e.g.\n  " + offenders.prefix(5).joined(separator: "\n  "))
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

    /// Calls sent while Ollama was stalled end by the idle deadline (streams) or the first-byte deadline (whole answers).
    func stalledStreamsEnded() {
        let during = calls.filter { $0.sentAt >= timeline.stallStart && $0.sentAt < timeline.stallEnd && $0.answer.ending != .refused }
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
            let byTheKill = call.replica == "B" && call.sentAt <= timeline.replicaKilled && call.endedAt >= timeline.replicaKilled - .milliseconds(500)
            return !byTheKill
        }
        fail("no response is cut off mid-way (only the SIGKILLed replica's in-flight calls may be)", cut.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock))" })
    }

    /// Outages give 503/504 in the caller's dialect, never an internal error.
    func no500() {
        let internal = calls.filter { $0.answer.status == 500 }
        fail(
            "no request is answered 500 (a PostgreSQL or Redis that restarted is reconnected, not reported as an internal error)",
            internal.map { "\($0.describe(clock))\(timeline.phase(of: $0, clock)): \($0.answer.body.prefix(200))" }
        )
    }

    /// A model Ollama lists is never unknown, on a replica just started either.
    func noModelNotFound() {
        let notFound = calls.filter { $0.answer.status == 404 }
        fail(
            "a model Ollama lists is never answered 404 model_not_found (replica B restarted at \(clock.format(timeline.replicaBack)))",
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

// MARK: - Bookkeeping

/// When each fault happened, on the test's clock.
private final class Timeline: @unchecked Sendable {
    // Invariant: written by the fault sequence only, read after it returned.
    var redisDown = Duration.zero, redisBack = Duration.zero
    var blockAnswered = Duration.zero, blockWall = Date.distantFuture
    var postgresDown = Duration.zero, postgresBack = Duration.zero
    var replicaKilled = Duration.zero, replicaBack = Duration.zero
    var stallStart = Duration.zero, stallEnd = Duration.zero
    var loadStopped = Duration.zero

    func describe(_ clock: ChaosClock) -> String {
        "Redis down \(clock.format(redisDown))..\(clock.format(redisBack)), K2 blocked \(clock.format(blockAnswered)), "
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
private struct ChaosClock: Sendable {
    let start = ContinuousClock.now
    var now: Duration { start.duration(to: .now) }
    func format(_ offset: Duration) -> String { "+" + Self.seconds(offset) }
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// Every call of the load, appended by the workers.
private final class Ledger: Sendable {
    private let storage = Mutex<[ChaosCall]>([])
    func add(_ call: ChaosCall) { storage.withLock { $0.append(call) } }
    var calls: [ChaosCall] { storage.withLock { $0 } }
}

/// The two replicas by name; the restarted B replaces the killed one, which is kept (its log) until the end.
private final class Replicas: Sendable {
    private let storage = Mutex<(current: [String: GatewayProcess], retired: [(String, GatewayProcess)])>(([:], []))

    func set(_ name: String, _ gateway: GatewayProcess) {
        storage.withLock { state in
            if let old = state.current[name] { state.retired.append((name + " (killed)", old)) }
            state.current[name] = gateway
        }
    }

    func get(_ name: String) throws -> GatewayProcess {
        guard let gateway = storage.withLock({ $0.current[name] }) else { throw HTTP.Failure(message: "no replica \(name)") }
        return gateway
    }

    func logs() -> [(String, String)] {
        storage.withLock { state in state.retired.map { ($0.0, $0.1.log) } + state.current.sorted { $0.key < $1.key }.map { ($0.key, $0.value.log) } }
    }

    func stopAll() {
        for gateway in storage.withLock({ $0.current.values + $0.retired.map(\.1) }) { gateway.stop() }
    }
}
