import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@Suite("Fleet: several Ollama backends behind one gateway")
struct FleetTests {
    @Test("a model on one backend is served by it; on none, 404; on backends that are down, 503 with Retry-After")
    func modelsLiveWhereTheyAre() async throws {
        try await FleetHarness.run([.init(name: "a", models: ["alpha"]), .init(name: "b", models: ["beta"]), .init(name: "c", models: ["gamma"])]) {
            gateway, fakes in
            for _ in 0..<6 {
                let response = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("beta"))
                #expect(response.status == .ok)
                #expect(try await gateway.logRow(response.requestID).column("backend") == "b")
            }
            #expect(fakes["b"]!.recordedRequests(path: "/api/chat").count == 6)
            #expect(fakes["a"]!.recordedRequests(path: "/api/chat").isEmpty && fakes["c"]!.recordedRequests(path: "/api/chat").isEmpty)
            let usage = try await gateway.get("/usage?group_by=backend")
            let byBackend = (usage.json?["data"] as? [[String: Any]] ?? []).map { ($0["backend"] as? String, $0["requests"] as? Int) }
            #expect(byBackend.contains { $0.0 == "b" && $0.1 == 6 }, "\(byBackend)")

            let missing = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("nowhere"))
            #expect(missing.status == .notFound)
            #expect(missing.openAIError?["code"] as? String == "model_not_found")

            await fakes["c"]!.stop()
            #expect(try await FleetHarness.eventually { try await FleetHarness.backendStatus(gateway, "c") == "down" })
            let down = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("gamma"))
            #expect(down.status == .serviceUnavailable)
            #expect(down.openAIError?["code"] as? String == "backend_unavailable")
            #expect(Int(down.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let ready = try await gateway.get("/health/ready", key: "")
            #expect(ready.status == .ok, "ready while at least one backend is up")
            #expect((ready.json?["backends"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a", "b", "c"])
        }
    }

    @Test("listings show the fleet once: /v1/models, /api/tags and /api/ps without duplicates")
    func listingsAreTheUnion() async throws {
        try await FleetHarness.run([
            .init(name: "a", models: ["llama3.2", "alpha"], loaded: ["llama3.2"]), .init(name: "b", models: ["llama3.2", "beta"], loaded: ["llama3.2"]),
        ]) { gateway, _ in
            let models = try await gateway.get("/v1/models")
            let ids = (models.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.filter { $0 == "llama3.2:latest" }.count == 1)
            #expect(Set(ids).isSuperset(of: ["alpha:latest", "beta:latest", "gpt-4o-mini"]))
            #expect(ids.count == Set(ids).count)
            let tags = try await gateway.get("/api/tags")
            let tagNames = (tags.json?["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(tagNames.count == Set(tagNames).count)
            #expect(Set(tagNames).isSuperset(of: ["alpha:latest", "beta:latest", "llama3.2:latest"]))
            let running = try await gateway.get("/api/ps")
            #expect((running.json?["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } == ["llama3.2:latest"])
        }
    }

    @Test("with the model loaded on B only (its /api/ps), requests go to B")
    func loadedModelWins() async throws {
        try await FleetHarness.run([.init(name: "a"), .init(name: "b", loaded: ["llama3.2"]), .init(name: "c")]) { gateway, fakes in
            for stream in [false, true, false, true, false, true] {
                let response = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2", stream: stream))
                #expect(response.status == .ok)
                #expect(try await gateway.logRow(response.requestID).column("backend") == "b")
            }
            #expect(fakes["b"]!.recordedRequests(path: "/api/chat").count == 6)
        }
    }

    @Test("max_parallel 2 on two backends: 8 long streams run 2 per backend at most, the rest queue, all are served")
    func queueSpreadsLongStreams() async throws {
        let slow = FakeOllamaBehavior(chunks: 8, chunkDelay: .milliseconds(100))
        try await FleetHarness.run([.init(name: "a", maxParallel: 2, behavior: slow), .init(name: "b", maxParallel: 2, behavior: slow)]) {
            gateway, fakes in
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))/v1/chat/completions"
            let results = await withTaskGroup(of: (Int, String).self) { group in
                for index in 0..<8 {
                    group.addTask {
                        // Distinct conversations, so affinity does not pull them together.
                        let messages = #"[{"role":"user","content":"stream \#(index)"}]"#
                        let answer = try? await HTTP.shared.request(
                            "POST", url, json: FleetHarness.chatJSON("llama3.2", stream: true, messages: messages), key: GatewayHarness.masterKey
                        )
                        return answer.map { ($0.status, $0.body) } ?? (0, "")
                    }
                }
                return await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.0 == 200 && $0.1.contains("data: [DONE]") })
            #expect(try await gateway.requestLog(count: 8).count == 8)
            let rows = try await gateway.database.query("SELECT backend, queue_wait_ms FROM request_log").dictionaries
            var spread: [String: Int] = [:]
            for row in rows { spread[row.column("backend") ?? "?", default: 0] += 1 }
            let waits = rows.map { Double($0.column("queue_wait_ms") ?? "") ?? 0 }
            #expect(spread == ["a": 4, "b": 4], "the 4/4 spread: \(spread)")
            // Each backend's own count of replies in progress: never more than its two slots.
            for (name, fake) in fakes {
                #expect(fake.peakConcurrentGenerations == 2, "backend \(name) ran \(fake.peakConcurrentGenerations) at once")
            }
            #expect(waits.filter { $0 > 100 }.count >= 4, "four streams waited for a slot: \(waits)")
            print("fleet: 8 streams over 2x2 slots: spread \(spread), queue waits ms \(waits.sorted().map { Int($0) })")
        }
    }

    @Test("a queue timeout is 503 with Retry-After (Anthropic: overloaded_error); a full queue refuses at once")
    func queueLimits() async throws {
        let slow = FakeOllamaBehavior(chunks: 80, chunkDelay: .milliseconds(100))
        try await FleetHarness.run([.init(name: "a", maxParallel: 1, behavior: slow)], configure: { $0.ollama.queueTimeoutMs = 300; $0.ollama.queueMax = 1 }) {
            gateway, _ in
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))/v1/chat/completions"
            let long = Task { try await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("llama3.2", stream: true), key: GatewayHarness.masterKey) }
            #expect(try await FleetHarness.eventually { try await gateway.get("/metrics").text.contains(#"tollgate_backend_in_flight{backend="a"} 1"#) })
            let started = ContinuousClock.now
            let timedOut = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2", stream: true))
            let waited = started.duration(to: .now)
            #expect(timedOut.status == .serviceUnavailable)
            #expect(timedOut.headers[.retryAfter] == "1")
            #expect(timedOut.openAIError?["code"] as? String == "backends_busy")
            #expect(waited >= .milliseconds(300) && waited < .seconds(3), "waited \(waited)")
            let row = try await gateway.logRow(timedOut.requestID)
            #expect(row.column("http_status") == "503")

            let anthropic = try await gateway.client.execute(
                uri: "/v1/messages", method: .post,
                headers: [
                    .contentType: "application/json", HTTPField.Name("x-api-key")!: GatewayHarness.masterKey,
                    HTTPField.Name("anthropic-version")!: "2023-06-01",
                ],
                body: .init(string: #"{"model":"llama3.2","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#)
            )
            #expect(anthropic.status == .serviceUnavailable)
            #expect((anthropic.json?["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
            #expect(anthropic.headers[.retryAfter] != nil)

            long.cancel()
            print("fleet: queue timeout 300 ms answered 503 after \(waited)")
        }
    }

    @Test("queue_max 1: one request waits, the next is refused at once with 503; the waiter is served when the slot frees")
    func fullQueue() async throws {
        let slow = FakeOllamaBehavior(chunks: 20, chunkDelay: .milliseconds(100))
        try await FleetHarness.run([.init(name: "a", maxParallel: 1, behavior: slow)], configure: { $0.ollama.queueMax = 1 }) { gateway, _ in
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))/v1/chat/completions"
            let long = Task { try await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("llama3.2", stream: true), key: GatewayHarness.masterKey) }
            #expect(try await FleetHarness.eventually { try await gateway.get("/metrics").text.contains(#"tollgate_backend_in_flight{backend="a"} 1"#) })
            // The test client sends one request at a time, so the waiter goes through the curl client.
            let waiting = Task { try await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("llama3.2"), key: GatewayHarness.masterKey) }
            #expect(try await FleetHarness.eventually { try await gateway.get("/metrics").text.contains("tollgate_backend_queue_depth 1") })
            let refusedAt = ContinuousClock.now
            let full = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2"))
            #expect(full.status == .serviceUnavailable)
            #expect(full.headers[.retryAfter] == "1")
            // "At once": far below the 30 s queue timeout it would otherwise wait (loose for a loaded machine).
            #expect(refusedAt.duration(to: .now) < .seconds(5))
            #expect(try await waiting.value.status == 200)
            let waits = try await gateway.requestLog(count: 3).compactMap { Double($0.column("queue_wait_ms") ?? "") }
            #expect(waits.contains { $0 > 100 }, "the wait is in the usage row: \(waits)")
            #expect(try await long.value.status == 200)
        }
    }

    @Test("a client that disconnects leaves the queue at once")
    func disconnectLeavesTheQueue() async throws {
        let slow = FakeOllamaBehavior(chunks: 20, chunkDelay: .milliseconds(100))
        try await FleetHarness.run([.init(name: "a", maxParallel: 1, behavior: slow)], configure: { $0.ollama.queueTimeoutMs = 30_000 }) {
            gateway, _ in
            let port = try #require(gateway.client.port)
            let url = "http://127.0.0.1:\(port)/v1/chat/completions"
            let long = Task { try await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("llama3.2", stream: true), key: GatewayHarness.masterKey) }
            #expect(try await FleetHarness.eventually { try await gateway.get("/metrics").text.contains(#"tollgate_backend_in_flight{backend="a"} 1"#) })
            let connection = try RawHTTPConnection(port: port)
            try connection.post("/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2"), headers: ["Authorization": "Bearer \(GatewayHarness.masterKey)"])
            #expect(try await FleetHarness.eventually { try await gateway.get("/metrics").text.contains("tollgate_backend_queue_depth 1") })
            connection.hangUp()
            #expect(try await FleetHarness.eventually(within: .seconds(2)) { try await gateway.get("/metrics").text.contains("tollgate_backend_queue_depth 0") })
            _ = try await long.value
        }
    }

    @Test("affinity: each conversation's turns land on the backend that served its first turn")
    func conversationsStayPut() async throws {
        let all = ["llama3.2"]
        try await FleetHarness.run([.init(name: "a", loaded: all), .init(name: "b", loaded: all), .init(name: "c", loaded: all)]) { gateway, _ in
            var backends: [Int: Set<String>] = [:]
            for turn in 0..<4 {
                for conversation in 0..<6 {
                    var messages = [#"{"role":"system","content":"conversation \#(conversation)"}"#, #"{"role":"user","content":"first"}"#]
                    for earlier in 0..<turn { messages += [#"{"role":"assistant","content":"answer \#(earlier)"}"#, #"{"role":"user","content":"more \#(earlier)"}"#] }
                    let response = try await gateway.post(
                        "/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2", stream: turn % 2 == 0, messages: "[" + messages.joined(separator: ",") + "]")
                    )
                    #expect(response.status == .ok)
                    backends[conversation, default: []].insert(try await gateway.logRow(response.requestID).column("backend") ?? "?")
                }
            }
            #expect(backends.values.allSatisfy { $0.count == 1 }, "\(backends)")
            #expect(Set(backends.values.flatMap { $0 }).count > 1, "conversations still spread over the fleet")
        }
    }

    @Test("a fresh gateway serves 30 concurrent requests for a model only Ollama lists, 5 times over")
    func catalogIsReadyBeforeTheGateway() async throws {
        for round in 0..<5 {
            try await GatewayHarness.run { gateway in
                let url = "http://127.0.0.1:\(try #require(gateway.client.port))/v1/chat/completions"
                let statuses = await withTaskGroup(of: Int.self) { group in
                    for _ in 0..<30 {
                        group.addTask {
                            (try? await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("qwen3"), key: GatewayHarness.masterKey))?.status ?? 0
                        }
                    }
                    return await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 200 }, "round \(round): \(statuses.filter { $0 != 200 })")
            }
        }
    }

    @Test("a reload takes a new backend list: in-flight requests finish, new ones use the new list")
    func reloadSwapsBackends() async throws {
        let reloads = ConfigReloads()
        let slow = FakeOllamaBehavior(chunks: 10, chunkDelay: .milliseconds(100))
        try await FleetHarness.run([.init(name: "a", behavior: slow)], reloads: reloads) { gateway, fakes in
            let other = try await FakeOllama.start(models: FakeModel.named(["llama3.2"]))
            let url = "http://127.0.0.1:\(try #require(gateway.client.port))/v1/chat/completions"
            let inFlight = Task { try await HTTP.shared.request("POST", url, json: FleetHarness.chatJSON("llama3.2", stream: true), key: GatewayHarness.masterKey) }
            #expect(try await FleetHarness.eventually { !fakes["a"]!.recordedRequests(path: "/api/chat").isEmpty })
            var config = gateway.config
            config.ollama.backends = [.init(name: "z", url: other.baseURL)]
            reloads.apply(config, logger: TestServices.logger)
            #expect(try await FleetHarness.eventually { try await FleetHarness.backendStatus(gateway, "z") == "up" })
            #expect(try await FleetHarness.eventually {
                let response = try await gateway.post("/v1/chat/completions", json: FleetHarness.chatJSON("llama3.2"))
                return try await gateway.logRow(response.requestID).column("backend") == "z"
            })
            let finished = try await inFlight.value
            #expect(finished.status == 200 && finished.body.contains("data: [DONE]"))
            #expect(fakes["a"]!.recordedRequests(path: "/api/chat").count == 1)
            await other.stop()
        }
    }
}
