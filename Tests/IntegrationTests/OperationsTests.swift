import FakeOllama
import Foundation
import Postgres
import Testing
import Upstream

/// What operators rely on: Prometheus metrics, graceful shutdown, and logs without secrets.
@Suite("Operations", .serialized)
struct OperationsTests {
    static let master = "sk-master-operations-test-0123456789"
    static let chat = #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#

    @Test("/metrics parses with Prometheus's own parser, and the counters move with traffic")
    func metrics() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_PYTHON"], "run through scripts/test.sh (it provides Python)")
        let fake = try await FakeOllama.start()
        let gateway = try await GatewayProcess.start(
            databaseURL: try await TestServices.freshDatabase(), redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: Self.master
        )
        defer { gateway.terminate() }
        let http = HTTP.shared
        for _ in 0..<3 { #expect(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: Self.master).status == 200) }
        #expect(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: #"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#, key: Self.master).status == 404)
        #expect(try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: "sk-wrong").status == 401)
        try await Task.sleep(for: .milliseconds(300))

        let samples = try await Self.parseMetrics(python: python, url: gateway.baseURL + "/metrics")
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
            samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
                .reduce(0) { $0 + $1.value }
        }
        #expect(value("tollgate_requests_total", ["route": "/v1/chat/completions", "status": "200", "dialect": "openai"]) == 3)
        #expect(value("tollgate_requests_total", ["status": "404"]) == 1)
        #expect(value("tollgate_auth_rejections_total", ["reason": "invalid"]) == 1)
        #expect(value("tollgate_completion_tokens_total") == 15)
        #expect(value("tollgate_prompt_tokens_total") > 0)
        #expect(value("tollgate_request_duration_seconds_count") == 4)
        #expect(value("tollgate_time_to_first_token_seconds_count") == 3)
        #expect(value("tollgate_usage_records_written_total") == 4)
        #expect(value("tollgate_usage_queue_depth") == 0)
        #expect(samples.contains { $0.name == "tollgate_limiter_rejections_total" })
        #expect(samples.contains { $0.name == "tollgate_postgres_errors_total" })
        await fake.stop()
    }

    /// Starts a streamed chat call on `gateway` with the master key; its body is read by the caller.
    static func openStream(_ gateway: GatewayProcess) async throws -> UpstreamResponse {
        try await HTTP.shared.engine.execute(
            UpstreamRequest(
                method: "POST", url: gateway.baseURL + "/v1/chat/completions",
                headers: [("Authorization", "Bearer \(master)"), ("Content-Type", "application/json")],
                body: Array(#"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8)
            )
        )
    }

    @Test("SIGTERM during a stream: the stream completes, its usage row is written, the exit code is 0")
    func gracefulShutdown() async throws {
        let fake = try await FakeOllama.start(behavior: .init(chunks: 15, chunkDelay: .milliseconds(100)))
        let database = try await TestServices.freshDatabase()
        let gateway = try await GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: Self.master, logLevel: "info"
        )
        let response = try await Self.openStream(gateway)
        var iterator = response.body.makeAsyncIterator()
        var body = try #require(try await iterator.next())
        gateway.terminate()
        while let chunk = try await iterator.next() { body += chunk }
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasSuffix("data: [DONE]\n\n"), "the stream was cut: \(text.suffix(200))")
        #expect(text.components(separatedBy: "\"content\":\"word \"").count - 1 == 15)
        #expect(await gateway.waitForExit(timeout: .seconds(20)) == 0)
        // New connections are refused once it is down.
        await #expect(throws: (any Error).self) { _ = try await HTTP.shared.request("GET", gateway.baseURL + "/health/live") }

        let pool = PostgresPool(configuration: .init(url: database, maxConnections: 1), logger: TestServices.logger)
        let rows = try await pool.query("SELECT status, stream, completion_tokens FROM request_log")
        #expect(rows.count == 1)
        #expect(rows.value(0, "status") == "ok")
        #expect(rows.value(0, "completion_tokens") == "15")
        await fake.stop()
    }

    @Test("SIGTERM with a stream that outlasts the grace period: it is cut then, its usage row is written before the exit, the exit code is 0")
    func shutdownGraceRunsOut() async throws {
        // A 20 s stream against a 1 s grace period.
        let fake = try await FakeOllama.start(behavior: .init(chunks: 100, chunkDelay: .milliseconds(200)))
        let database = try await TestServices.freshDatabase()
        let gateway = try await GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: Self.master, logLevel: "info",
            environment: ["TOLLGATE_SHUTDOWN_GRACE_S": "1"]
        )
        let response = try await Self.openStream(gateway)
        var iterator = response.body.makeAsyncIterator()
        var body = try #require(try await iterator.next())
        let terminated = ContinuousClock.now
        gateway.terminate()
        do {
            while let chunk = try await iterator.next() { body += chunk }
        } catch {
            // The gateway closed the connection mid-stream: that is the cut.
        }
        let text = String(decoding: body, as: UTF8.self)
        #expect(!text.contains("[DONE]"), "the stream should have been cut at the grace period")
        let status = await gateway.waitForExit(timeout: .seconds(20))
        let took = terminated.duration(to: .now)
        #expect(status == 0, "exit status \(String(describing: status)); log: \(gateway.log.suffix(1500))")
        // The grace period, then the cut and the ordered shutdown; well before the cancellation backstop (grace + 30 s).
        #expect(took >= .seconds(1) && took < .seconds(15), "exited \(took) after SIGTERM")
        #expect(gateway.log.contains("shutdown grace period over"))
        #expect(!gateway.log.contains("not written at shutdown"), "the usage recorder's last write found the pool closed")

        // Written by the exiting gateway itself, not left in the journal for a next start.
        let pool = PostgresPool(configuration: .init(url: database, maxConnections: 1), logger: TestServices.logger)
        let rows = try await pool.query("SELECT status, stream FROM request_log")
        #expect(rows.count == 1)
        #expect(rows.value(0, "status") == "client_closed")
        #expect(rows.value(0, "stream") == "t")
        await fake.stop()
    }

    @Test("JSON logs: one JSON object a line, request lines carry the request id, no secret anywhere")
    func jsonLogs() async throws {
        let fake = try await FakeOllama.start(behavior: .init(failure: .errorLineAfter(chunks: 1, message: "runner crashed")))
        let gateway = try await GatewayProcess.start(
            databaseURL: try await TestServices.freshDatabase(), redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL,
            masterKey: Self.master, environment: ["TOLLGATE_LOG_FORMAT": "json"]
        )
        let http = HTTP.shared
        let created = try await http.request("POST", gateway.baseURL + "/key/generate", json: "{}", key: Self.master)
        let secret = try #require(HTTP.json(created.body)?["key"] as? String)
        _ = try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hi"}]}"#, key: secret)
        _ = try await http.request("POST", gateway.baseURL + "/v1/chat/completions", json: Self.chat, key: secret + "x")
        #expect(await gateway.stop() == 0)

        let lines = gateway.log.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try #require(HTTP.json(line), "not a JSON log line: \(line)")
            #expect(object["message"] is String && object["level"] is String && object["time"] is String)
            objects.append(object)
        }
        let failure = try #require(objects.first { $0["message"] as? String == "ollama stream failed" })
        #expect((failure["request_id"] as? String)?.hasPrefix("req_") == true)
        #expect(!gateway.log.contains(secret))
        #expect(!gateway.log.contains(Self.master))
        await fake.stop()
    }

    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Fetches `url` and parses it with `prometheus_client.parser`, the reference Python parser.
    static func parseMetrics(python: String, url: String) async throws -> [Sample] {
        let script = """
            import json, sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen(sys.argv[1]).read().decode()
            out = []
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    out.append({"name": s.name, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """
        // Output to a file, not a pipe: a server another test starts meanwhile would inherit the pipe's
        // write end and this read would never see its end.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).json")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, url]
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        try process.run()
        guard await process.exited(within: .seconds(60)) else {
            await process.killNow()
            throw HTTP.Failure(message: "the Prometheus parser did not finish in 60 s")
        }
        let data = try Data(contentsOf: outputFile)
        try #require(process.terminationStatus == 0, "the Prometheus parser rejected /metrics")
        let list = try #require((try JSONSerialization.jsonObject(with: data)) as? [[String: Any]])
        return list.compactMap { item in
            guard let name = item["name"] as? String, let value = (item["value"] as? NSNumber)?.doubleValue else { return nil }
            return Sample(name: name, labels: item["labels"] as? [String: String] ?? [:], value: value)
        }
    }
}
