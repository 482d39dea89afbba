import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

@Suite("Fleet: failover, and reloads by SIGHUP")
struct FleetFailoverTests {
    @Test("one of three backends killed (SIGKILL) under mixed load: only its streams in flight fail, in-stream; it is used again once back")
    func killOneOfThree() async throws {
        let arguments = ["--models", "llama3.2", "--loaded", "llama3.2", "--chunks", "20", "--chunk-delay-ms", "20"]
        var processes: [String: FakeOllamaProcess] = [:]
        for name in ["a", "b", "c"] { processes[name] = try await FakeOllamaProcess(arguments) }
        let fakes = processes
        try await GatewayHarness.run(configure: { config in
            config.ollama.backends = ["a", "b", "c"].map { .init(name: $0, url: fakes[$0]!.baseURL, maxParallel: 3) }
            config.ollama.allowPinning = true
            FleetHarness.fast(&config)
        }) { gateway in
            let base = "http://127.0.0.1:\(try #require(gateway.client.port))"
            let stop = Flag()
            let completed = Tally()
            let load = Task { await ChatLoad.run(base, key: GatewayHarness.masterKey, workers: 6, completed: completed, until: { stop.isRaised }) }
            #expect(await FleetHarness.eventually { completed.count >= 20 })
            // A stream pinned to b, killed once its first chunk has arrived: surely in flight there (20 chunks,
            // 20 ms apart).
            let pinned = try RawHTTPConnection(port: try #require(gateway.client.port))
            try pinned.post(
                "/v1/chat/completions", json: FleetHarness.chatJSON("gpt-4o-mini@b", stream: true),
                headers: ["Authorization": "Bearer \(GatewayHarness.masterKey)"]
            )
            let begun = try await pinned.read(until: "data: ")
            let killedAt = ContinuousClock.now
            await fakes["b"]!.kill9()
            #expect(try await FleetHarness.eventually { try await FleetHarness.backendStatus(gateway, "b") == "down" })
            let downAfter = killedAt.duration(to: .now)
            let before = completed.count
            #expect(await FleetHarness.eventually { completed.count >= before + 30 })
            // The connection stays open (keep-alive): the answer ends with the chunked body's last chunk.
            let cut = begun + (try await pinned.read(until: "\r\n0\r\n\r\n"))
            #expect(cut.hasPrefix("HTTP/1.1 200") && cut.contains(#"data: {"error""#) && !cut.contains("[DONE]"), "in-stream error: \(cut.suffix(300))")
            try await fakes["b"]!.restart()
            let restartedAt = Date()
            let back = try await FleetHarness.eventually(within: .seconds(10)) {
                let rows = try await gateway.database.query(
                    "SELECT count(*) AS n FROM request_log WHERE backend = 'b' AND status = 'ok' AND started_at > $1", [.init(restartedAt)]
                )
                return Int(rows.value(0, "n") ?? "") ?? 0 > 0
            }
            let backAfter = Date().timeIntervalSince(restartedAt)
            stop.raise()
            let outcomes = await load.value
            #expect(back, "b served again within 10 s of coming back")

            var failedInStream = 0
            for outcome in outcomes where !outcome.complete {
                // The only failures allowed: streams that had begun on b, ended by an in-stream error.
                #expect(outcome.stream && outcome.status == 200, "failed: \(outcome.status) \(outcome.body)")
                let row = try await gateway.logRow(outcome.requestID)
                #expect(row.column("backend") == "b")
                #expect(row.column("status") == "upstream_error")
                failedInStream += 1
            }
            let rows = try await gateway.requestLog(count: outcomes.count + 1)
            #expect(rows.count == outcomes.count + 1, "every request has its usage row")
            let pinnedRow = rows.first { $0.column("requested_model") == "gpt-4o-mini@b" }
            #expect(pinnedRow?.column("status") == "upstream_error" && pinnedRow?.column("backend") == "b")
            let failovers = rows.filter { $0.column("attempts") == "2" }
            let failoverMs = failovers.compactMap { Double($0.column("duration_ms") ?? "") }
            print(
                "fleet kill: \(outcomes.count) requests, \(failedInStream) streams cut in flight on b, \(failovers.count) failed over "
                    + "(max \(Int(failoverMs.max() ?? 0)) ms), b down in \(downAfter), back in use \(String(format: "%.2f", backAfter)) s after restart"
            )
        }
    }

    @Test("SIGHUP: a new backend list is taken, in-flight requests finish; a bad file is refused and the old config stays")
    func sighup() async throws {
        let slow = try await FakeOllama.start(models: FakeModel.named(["llama3.2"]), behavior: .init(chunks: 15, chunkDelay: .milliseconds(100)))
        let fresh = try await FakeOllama.start(models: FakeModel.named(["llama3.2"]))
        defer { Task { await slow.stop(); await fresh.stop() } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        func write(_ backend: String, _ url: String) throws {
            try """
            ollama:
              health_interval_ms: 100
              discovery_interval_ms: 300
              backends:
                - {name: \(backend), url: "\(url)"}
            """.write(to: file, atomically: true, encoding: .utf8)
        }
        try write("old", slow.baseURL)
        let gateway = try await GatewayProcess.start(
            databaseURL: try await TestServices.freshDatabase(), redisURL: try TestServices.redisURL, ollamaURL: "",
            masterKey: GatewayHarness.masterKey, logLevel: "info", environment: ["TOLLGATE_CONFIG": file.path, "OLLAMA_BASE_URL": ""]
        )
        defer { gateway.terminate() }
        let chat = gateway.baseURL + "/v1/chat/completions"
        let inFlight = Task { try await HTTP.shared.request("POST", chat, json: FleetHarness.chatJSON("llama3.2", stream: true), key: GatewayHarness.masterKey) }
        #expect(await FleetHarness.eventually { !slow.recordedRequests(path: "/api/chat").isEmpty })

        try write("new", fresh.baseURL)
        gateway.hangUp()
        // Calls sent before the reload is applied still go to the old backend: wait for it first.
        #expect(await FleetHarness.eventually { gateway.log.contains("configuration reloaded") })
        #expect(try await FleetHarness.eventually {
            _ = try await HTTP.shared.request("POST", chat, json: FleetHarness.chatJSON("llama3.2"), key: GatewayHarness.masterKey)
            return !fresh.recordedRequests(path: "/api/chat").isEmpty
        })
        let finished = try await inFlight.value
        #expect(finished.status == 200 && finished.body.contains("data: [DONE]"), "the in-flight stream finished on the old backend")
        #expect(slow.recordedRequests(path: "/api/chat").count == 1)

        try "ollama:\n  backends: [{name: x, url: \"ftp://nope\"}]\n".write(to: file, atomically: true, encoding: .utf8)
        gateway.hangUp()
        #expect(await FleetHarness.eventually { gateway.log.contains("configuration not reloaded") })
        #expect(gateway.log.contains("\(file.path):2:"), "the error names file:line:column")
        let after = try await HTTP.shared.request("POST", chat, json: FleetHarness.chatJSON("llama3.2"), key: GatewayHarness.masterKey)
        #expect(after.status == 200)
        #expect(fresh.recordedRequests(path: "/api/chat").count >= 2)
    }
}
