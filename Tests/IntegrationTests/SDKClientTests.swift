import FakeOllama
import Foundation
import Testing

/// The official Python SDKs, installed from PyPI by the test command, against a real gateway
/// process in front of the fake Ollama. Each script in `Tests/clients/` runs named checks (chat,
/// streaming, a tool-call round trip, embeddings, models, errors) and prints `ok <name>` for each.
@Suite("Official SDK clients")
struct SDKClientTests {
    static let master = "sk-master-sdk-clients-test-0123456789"

    /// One client script and the checks it must report `ok`.
    struct Script: Sendable, CustomTestStringConvertible {
        var sdk: String
        var path: String
        var checks: [String]
        var testDescription: String { sdk }
    }

    static let scripts = [
        Script(
            sdk: "openai", path: "Tests/clients/openai_client.py",
            checks: [
                "chat", "chat_stream", "chat_stream_helper", "tool_call", "tool_call_stream", "embeddings", "models_list",
                "models_retrieve", "error_bad_key", "error_unknown_model", "error_upstream_down",
            ]
        ),
        Script(
            sdk: "openai-responses", path: "Tests/clients/responses_client.py",
            checks: [
                "create", "create_stream", "stream_helper", "previous_response", "tool_round_trip", "tool_stream", "structured_output",
                "error_unknown_model", "error_hosted_tool", "error_previous_not_found", "agents_default_model",
            ]
        ),
        Script(
            sdk: "anthropic", path: "Tests/clients/anthropic_client.py",
            checks: [
                "messages", "messages_bearer", "messages_system", "stream", "stream_events", "tool_use", "tool_use_stream",
                "thinking", "count_tokens", "models_list", "error_bad_key", "error_unknown_model", "error_upstream_down",
            ]
        ),
        Script(
            sdk: "ollama", path: "Tests/clients/ollama_client.py",
            checks: [
                "chat", "chat_stream", "generate", "thinking", "tool_call", "tool_call_stream", "embed", "embeddings_legacy",
                "list", "show", "ps", "error_bad_key", "error_missing_key", "error_unknown_model", "error_upstream_down",
            ]
        ),
    ]

    @Test("An official Python SDK passes every check against a running gateway", arguments: scripts)
    func sdk(_ script: Script) async throws {
        _ = try PythonScript.python
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        let redis = try TestServices.redisURL
        let gateway = try await GatewayProcess.start(databaseURL: database, redisURL: redis, ollamaURL: fake.baseURL, masterKey: Self.master)
        defer { gateway.terminate() }
        // The same database, so the key works there too; nothing listens at its Ollama address.
        let deadOllama = "http://127.0.0.1:\(try GatewayProcess.freePort())"
        let dead = try await GatewayProcess.start(databaseURL: database, redisURL: redis, ollamaURL: deadOllama, masterKey: Self.master)
        defer { dead.terminate() }

        let created = try await HTTP.shared.request("POST", gateway.baseURL + "/key/generate", json: #"{"key_alias":"sdk-\#(script.sdk)"}"#, key: Self.master)
        try #require(created.status == 200, "key/generate failed: \(created.body)")
        let key = try #require(HTTP.json(created.body)?["key"] as? String)

        let timeout = Duration.seconds(240)
        let run = try await PythonScript.run(
            script.path,
            environment: ["TOLLGATE_URL": gateway.baseURL, "TOLLGATE_KEY": key, "TOLLGATE_DEAD_URL": dead.baseURL],
            timeout: timeout
        )
        let ending = run.status.map { "exited with \($0)" } ?? "was killed after \(timeout)"
        #expect(run.status == 0, "\(script.path) \(ending):\n\(run.output)")
        // A script that exits 0 without running a check fails too.
        let missing = script.checks.filter { !run.passedChecks.contains($0) }
        let shownOutput = run.status == 0 ? "\n" + run.output : ""  // already shown above otherwise
        #expect(missing.isEmpty, "\(script.sdk) checks without `ok`: \(missing)\(shownOutput)")

        // The tool-call round trip reached Ollama: the tool's answer came back as a `tool` message.
        let chats = fake.recordedRequests(path: "/api/chat")
        let toolResults = chats.compactMap { request in
            (request.jsonObject?["messages"] as? [[String: Any]])?.first { $0["role"] as? String == "tool" }
        }
        let toolResult = toolResults.first { ($0["content"] as? String)?.contains("temperature_c") == true }
        #expect(toolResult != nil, "none of the \(chats.count) /api/chat requests carried the tool result in a `tool` message")
        if let toolResult, script.sdk != "ollama" {
            // OpenAI's `tool_call_id` and Anthropic's `tool_use_id` travel on as Ollama's `tool_call_id`.
            #expect((toolResult["tool_call_id"] as? String)?.isEmpty == false, "the tool message lost its call id: \(toolResult)")
        }
        await fake.stop()
    }
}
