import FakeOllama
import Foundation
import Testing

/// The real coding agents, from the test venv, against a gateway process in front of the fake Ollama:
/// the Codex CLI over the Responses API and Claude Code over the Messages API. Both run hermetically:
/// a temporary home, telemetry, update checks and non-essential traffic off, every URL on loopback.
@Suite("Agent CLIs", .serialized)
struct AgentCLITests {
    static let master = "sk-master-agent-cli-test-0123456789"
    /// The fake's answer as the agents print it.
    static let fakeAnswer = "word word word word word"
    static let timeout = Duration.seconds(180)

    /// A gateway with a fresh database in front of a fresh fake, JSON logs at debug level, and a virtual key.
    struct Setup {
        var fake: FakeOllama
        var gateway: GatewayProcess
        var key: String
        var home: URL

        static func start() async throws -> Setup {
            let fake = try await FakeOllama.start()
            let database = try await TestServices.freshDatabase()
            let gateway = try await GatewayProcess.start(
                databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: master,
                environment: ["TOLLGATE_LOG_FORMAT": "json"]
            )
            let created = try await HTTP.shared.request("POST", gateway.baseURL + "/key/generate", json: #"{"key_alias":"agent"}"#, key: master)
            try #require(created.status == 200, "key/generate failed: \(created.body)")
            let key = try #require(HTTP.json(created.body)?["key"] as? String)
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("agent-home-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home.appendingPathComponent("work"), withIntermediateDirectories: true)
            return Setup(fake: fake, gateway: gateway, key: key, home: home)
        }

        var work: URL { home.appendingPathComponent("work") }

        /// Runs `body` with a fresh setup, then stops everything, whether `body` threw or not.
        static func with(_ body: (Setup) async throws -> Void) async throws {
            let setup = try await start()
            do {
                try await body(setup)
            } catch {
                await setup.stop()
                throw error
            }
            await setup.stop()
        }

        func stop() async {
            _ = await gateway.stop()
            await fake.stop()
            try? FileManager.default.removeItem(at: home)
        }

        /// Every request the gateway answered, from its `answered` log lines: (method, path, status).
        var answered: [(method: String, path: String, status: Int)] {
            gateway.log.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["message"] as? String == "answered", let status = (object["status"] as? String).flatMap(Int.init)
                else { return nil }
                return (object["method"] as? String ?? "", object["path"] as? String ?? "", status)
            }
        }

        /// The roles, starts of contents and tool names of the last `/api/chat` request, for failure messages.
        var lastChat: String {
            guard let body = fake.recordedRequests(path: "/api/chat").last?.jsonObject else { return "nothing" }
            let messages = (body["messages"] as? [[String: Any]] ?? []).map { message in
                "\(message["role"] ?? "?"): \(String(String(describing: message["content"] ?? "").suffix(300)))"
            }
            let tools = (body["tools"] as? [[String: Any]] ?? []).compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
            return "model \(body["model"] ?? "?"), tools \(tools), messages:\n" + messages.joined(separator: "\n")
        }

        /// The contents of the `tool` messages Ollama received.
        var toolResults: [String] {
            fake.recordedRequests(path: "/api/chat").flatMap { request in
                ((request.jsonObject?["messages"] as? [[String: Any]]) ?? []).filter { $0["role"] as? String == "tool" }
                    .compactMap { $0["content"] as? String }
            }
        }
    }

    static var basePath: String { ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin" }

    @Test("Codex CLI: `codex exec` answers through /v1/responses, then runs the tool the model calls and sends its output back")
    func codex() async throws {
        let codex = try CLIProcess.venvBinary("codex_cli_bin/bin/codex")
        try await Setup.with { setup in try await Self.codex(codex, setup) }
    }

    private static func codex(_ codex: URL, _ setup: Setup) async throws {
        let codexHome = setup.home.appendingPathComponent(".codex")
        try FileManager.default.createDirectory(at: codexHome, withIntermediateDirectories: true)
        try Self.codexConfig(baseURL: setup.gateway.baseURL + "/v1").write(to: codexHome.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let environment = [
            "PATH": Self.basePath, "HOME": setup.home.path, "CODEX_HOME": codexHome.path, "TOLLGATE_KEY": setup.key, "NO_COLOR": "1",
        ]
        let arguments = ["exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--color", "never"]

        // Codex's default model (aliased in config/tollgate.yaml).
        let plain = try await CLIProcess.run(
            codex, arguments: arguments + ["Say something."], environment: environment, directory: setup.work, timeout: Self.timeout
        )
        print("codex exec (answer): \(plain.elapsed)")
        #expect(plain.status == 0, "codex exec failed:\n\(plain.stdout)\n\(plain.stderr)")
        #expect(plain.stdout.contains(Self.fakeAnswer), "no answer in codex's output:\n\(plain.stdout)\n\(plain.stderr)")

        // A model Codex has no metadata for gets its classic tool set (`exec_command` among them); its own
        // default model (above) gets the tools in an `additional_tools` input item and a JavaScript `exec` tool.
        let marker = "tollgate-codex-tool-ran"
        let prompt = #"Please call a tool exec_command with {"cmd":"echo \#(marker)"}"#
        let tool = try await CLIProcess.run(
            codex, arguments: arguments + ["--model", "llama3.2", prompt], environment: environment, directory: setup.work,
            timeout: Self.timeout
        )
        print("codex exec (tool round trip): \(tool.elapsed)")
        #expect(tool.status == 0, "codex exec failed:\n\(tool.stdout)\n\(tool.stderr)")
        #expect(tool.stdout.contains(Self.fakeAnswer), "no final answer in codex's output:\n\(tool.stdout)\n\(tool.stderr)")
        // Codex ran the command and sent its output back: Ollama saw it in a `tool` message.
        #expect(setup.toolResults.contains { $0.contains(marker) }, "no tool result with \(marker) reached Ollama: \(setup.toolResults)")

        let answered = setup.answered
        #expect(answered.contains { $0.path == "/v1/responses" && $0.status == 200 })
        #expect(answered.allSatisfy { $0.status < 400 }, "requests that failed: \(answered.filter { $0.status >= 400 })")
    }

    /// Codex's config: one model provider (Tollgate, Responses API, key from `TOLLGATE_KEY`), nothing else reaching out.
    /// No `model`: Codex asks for its default, which config/tollgate.yaml aliases.
    static func codexConfig(baseURL: String) -> String {
        """
        model_provider = "tollgate"
        check_for_update_on_startup = false

        [analytics]
        enabled = false

        [feedback]
        enabled = false

        [otel]
        exporter = "none"

        [model_providers.tollgate]
        name = "Tollgate"
        base_url = "\(baseURL)"
        env_key = "TOLLGATE_KEY"
        wire_api = "responses"
        request_max_retries = 0
        stream_max_retries = 0

        """
    }

    @Test("Claude Code CLI: `claude -p` answers through /v1/messages, a tool round trip completes, no request fails")
    func claudeCode() async throws {
        let claude = try CLIProcess.venvBinary("claude_agent_sdk/_bundled/claude")
        try await Setup.with { setup in try await Self.claudeCode(claude, setup) }
    }

    private static func claudeCode(_ claude: URL, _ setup: Setup) async throws {
        let marker = "tollgate-claude-marker-content"
        let file = setup.work.appendingPathComponent("marker.txt")
        try Data(marker.utf8).write(to: file)
        let environment = [
            "PATH": Self.basePath, "HOME": setup.home.path, "CLAUDE_CONFIG_DIR": setup.home.appendingPathComponent(".claude").path,
            "ANTHROPIC_BASE_URL": setup.gateway.baseURL, "ANTHROPIC_API_KEY": setup.key,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1", "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1", "CLAUDE_CODE_ENABLE_TELEMETRY": "0",
        ]
        let arguments = ["-p", "--output-format", "json", "--allowedTools=Read"]

        let plain = try await CLIProcess.run(
            claude, arguments: arguments + ["Say something."], environment: environment, directory: setup.work, timeout: Self.timeout
        )
        print("claude -p (answer): \(plain.elapsed)")
        #expect(plain.status == 0, "claude failed:\n\(plain.stdout)\n\(plain.stderr)")
        let answer = try #require(Self.result(plain.stdout), "no JSON result:\n\(plain.stdout)\n\(plain.stderr)")
        #expect(answer["is_error"] as? Bool == false)
        #expect((answer["result"] as? String)?.contains(Self.fakeAnswer) == true, "\(answer)")

        let prompt = #"Please call a tool Read with {"file_path":"\#(file.path)"}"#
        let tool = try await CLIProcess.run(
            claude, arguments: arguments + [prompt], environment: environment, directory: setup.work, timeout: Self.timeout
        )
        print("claude -p (tool round trip): \(tool.elapsed)")
        #expect(tool.status == 0, "claude failed:\n\(tool.stdout)\n\(tool.stderr)")
        let toolAnswer = try #require(Self.result(tool.stdout), "no JSON result:\n\(tool.stdout)\n\(tool.stderr)")
        #expect((toolAnswer["result"] as? String)?.contains(Self.fakeAnswer) == true, "\(toolAnswer)")
        #expect((toolAnswer["num_turns"] as? Int ?? 0) >= 2, "\(toolAnswer)\nOllama saw: \(setup.lastChat)")
        // Claude Code read the file and sent its content back: Ollama saw it in a `tool` message.
        #expect(setup.toolResults.contains { $0.contains(marker) }, "no tool result with \(marker) reached Ollama: \(setup.toolResults)")

        let answered = setup.answered
        #expect(answered.contains { $0.path == "/v1/messages" && $0.status == 200 })
        #expect(answered.allSatisfy { $0.status < 400 }, "requests that failed: \(answered.filter { $0.status >= 400 })")
    }

    /// The `--output-format json` result object: the last line of stdout that is one.
    static func result(_ stdout: String) -> [String: Any]? {
        for line in stdout.split(separator: "\n").reversed() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["type"] as? String == "result" {
                return object
            }
        }
        return nil
    }
}
