import Testing
@testable import Gateway

@Suite("ConfigLoader: the Ollama fleet")
struct FleetConfigTests {
    @Test func backendsDecodeWithDefaults() throws {
        let config = try ConfigLoader.load(
            yaml: """
                ollama:
                  max_attempts: 3
                  queue_max: 10
                  queue_timeout_ms: 500
                  allow_pinning: true
                  backends:
                    - {name: gpu-a, url: "http://10.0.0.1:11434", weight: 2, max_parallel: 8, models: [llama3.2], headers: {Authorization: Bearer x}}
                    - {name: gpu-b, url: "http://10.0.0.2:11434"}
                models:
                  - {name: fast, ollama_model: llama3.2, backends: [gpu-a]}
                """, path: "test.yaml", environment: baseEnvironment)
        #expect(config.ollama.fleet.map(\.name) == ["gpu-a", "gpu-b"])
        #expect(config.ollama.fleet[0] == .init(name: "gpu-a", url: "http://10.0.0.1:11434", weight: 2, maxParallel: 8, models: ["llama3.2"], headers: ["Authorization": "Bearer x"]))
        #expect(config.ollama.fleet[1].maxParallel == 4)
        #expect(config.ollama.maxAttempts == 3)
        #expect(config.ollama.allowPinning)
        #expect(config.models[0].backends == ["gpu-a"])
    }

    @Test func baseURLIsAFleetOfOne() throws {
        let config = try ConfigLoader.load(yaml: "", path: "test.yaml", environment: baseEnvironment.merging(["OLLAMA_BASE_URL": "http://h:1"]) { $1 })
        #expect(config.ollama.fleet.map(\.url) == ["http://h:1"])
        #expect(config.ollama.fleet.map(\.name) == ["default"])
    }

    @Test func openWebUIsVariableGivesSeveral() throws {
        let environment = baseEnvironment.merging(["OLLAMA_BASE_URLS": "http://a:1, http://b:2;http://c:3"]) { $1 }
        let config = try ConfigLoader.load(yaml: "", path: "test.yaml", environment: environment)
        #expect(config.ollama.fleet.map(\.url) == ["http://a:1", "http://b:2", "http://c:3"])
        #expect(config.ollama.fleet.map(\.name) == ["ollama-1", "ollama-2", "ollama-3"])
    }

    @Test func aDuplicateBackendNameIsBlamedOnItsLine() throws {
        let error = try configError(
            """
            ollama:
              backends:
                - {name: a, url: "http://x:1"}
                - {name: a, url: "http://y:1"}
            """)
        #expect(error.line == 4)
        #expect(error.message.contains("used twice"))
    }

    @Test func anAliasNamingAnUnknownBackendIsRefused() throws {
        let error = try configError(
            """
            ollama:
              backends: [{name: a, url: "http://x:1"}]
            models:
              - {name: m, ollama_model: m, backends: [b]}
            """)
        #expect(error.line == 4)
        #expect(error.message.contains("no backend is named 'b'"))
    }

    @Test func unknownBackendKeysAndBadValuesAreRefused() throws {
        #expect(try configError("ollama:\n  backends: [{name: a, url: \"http://x:1\", maxparallel: 2}]").message.contains("unknown key 'maxparallel'"))
        #expect(try configError("ollama:\n  backends: [{name: a, url: \"ftp://x\"}]").message.contains("http://"))
        #expect(try configError("ollama:\n  max_attempts: 0").message.contains("max_attempts"))
    }
}
