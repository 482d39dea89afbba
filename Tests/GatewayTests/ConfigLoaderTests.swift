import Foundation
import Testing
@testable import Gateway

/// The environment a deployment provides: the master key and the two service URLs the file leaves empty.
let baseEnvironment = [
    "TOLLGATE_MASTER_KEY": "test-master-key",
    "DATABASE_URL": "postgresql://x@127.0.0.1:5432/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
]

/// Loads `yaml` as `test.yaml` and returns the ConfigError it must throw.
func configError(_ yaml: String, environment: [String: String] = baseEnvironment, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
    let error = #expect(throws: ConfigError.self, sourceLocation: sourceLocation) {
        try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: environment)
    }
    return try #require(error, sourceLocation: sourceLocation)
}

@Suite("ConfigLoader: the repository's config file")
struct RepositoryConfigTests {
    static let repoConfigPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/tollgate.yaml").path

    private func repoYAML() throws -> String {
        try String(contentsOfFile: Self.repoConfigPath, encoding: .utf8)
    }

    @Test func loadsWithTheRequiredEnvironment() throws {
        let config = try ConfigLoader.load(yaml: try repoYAML(), path: "config/tollgate.yaml", environment: baseEnvironment)
        #expect(config.masterKey == "test-master-key")
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.port == 4000)
        #expect(config.server.maxBodyBytes == 16_777_216)
        #expect(config.auth.masterKeyEnv == "TOLLGATE_MASTER_KEY")
        #expect(config.database.url == "postgresql://x@127.0.0.1:5432/db")
        #expect(config.database.poolSize == 4)
        #expect(config.redis.url == "redis://127.0.0.1:6379/0")
        #expect(config.ollama.baseURL == "http://127.0.0.1:11434")
        #expect(config.ollama.connectTimeoutMs == 2000)
        #expect(config.ollama.firstByteTimeoutSeconds == 300)
        #expect(config.ollama.exposeAllModels == true)
        #expect(config.models == [
            GatewayConfig.ModelAlias(name: "gpt-4o-mini", ollamaModel: "llama3.2:latest", inputPricePerMillion: 0.15, outputPricePerMillion: 0.60),
            GatewayConfig.ModelAlias(name: "llama3.2", ollamaModel: "llama3.2:latest"),
            GatewayConfig.ModelAlias(name: "gpt-6.1-sol", ollamaModel: "qwen3:latest"),
            GatewayConfig.ModelAlias(name: "gpt-5.6-luna", ollamaModel: "qwen3:latest"),
            GatewayConfig.ModelAlias(name: "claude-opus-5-5", ollamaModel: "qwen3:latest"),
            GatewayConfig.ModelAlias(name: "claude-sonnet-5-5", ollamaModel: "qwen3:latest"),
            GatewayConfig.ModelAlias(name: "claude-haiku-5-5", ollamaModel: "qwen3:latest"),
        ])
        #expect(config.responses.retentionDays == nil)
        #expect(config.responses.maxStoredBytes == 4_194_304)
        #expect(config.images.fetchRemote == true)
        #expect(config.images.maxBytes == 20 * 1024 * 1024)
        #expect(config.images.fetchTimeoutMs == 10_000)
        #expect(config.images.allowHosts == [])
        #expect(config.usage.flushIntervalMs == 200)
        #expect(config.usage.batchSize == 4000)
        #expect(config.usage.writeConcurrency == 2)
        #expect(config.usage.payloadLogging == .off)
        #expect(config.usage.payloadMaxBytes == 65536)
        #expect(config.usage.redactFields == [])
        #expect(config.usage.retentionDays == 0)
        #expect(config.usage.retentionIntervalSeconds == 3600)
        #expect(config.log.level == "info")
        #expect(config.log.format == "text")
    }

    @Test func environmentOverridesWinOverTheFile() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_PORT"] = "8080"
        environment["TOLLGATE_HOST"] = "127.0.0.1"
        environment["OLLAMA_BASE_URL"] = "https://gpu-box:11434"
        environment["TOLLGATE_MAX_BODY_BYTES"] = "2048"
        environment["TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS"] = "150"
        environment["TOLLGATE_UPSTREAM_FIRST_BYTE_TIMEOUT_S"] = "9"
        environment["TOLLGATE_LOG_FORMAT"] = "json"
        environment["TOLLGATE_LOG_LEVEL"] = "debug"
        let config = try ConfigLoader.load(yaml: try repoYAML(), path: "config/tollgate.yaml", environment: environment)
        #expect(config.server.port == 8080)
        #expect(config.server.host == "127.0.0.1")
        #expect(config.ollama.baseURL == "https://gpu-box:11434")
        #expect(config.server.maxBodyBytes == 2048)
        #expect(config.ollama.connectTimeoutMs == 150)
        #expect(config.ollama.firstByteTimeoutSeconds == 9)
        #expect(config.log.format == "json")
        #expect(config.log.level == "debug")
    }

    @Test func missingMasterKeyTellsHowToSetIt() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_MASTER_KEY"] = nil
        let error = try configError(try repoYAML(), environment: environment)
        #expect(error.source == "TOLLGATE_MASTER_KEY")
        #expect(error.line == nil)
        #expect(error.message.contains("export TOLLGATE_MASTER_KEY="))
        #expect(error.description.hasPrefix("TOLLGATE_MASTER_KEY: "))
    }

    @Test func missingDatabaseURLIsReported() throws {
        var environment = baseEnvironment
        environment["DATABASE_URL"] = nil
        let error = try configError(try repoYAML(), environment: environment)
        #expect(error.message.contains("DATABASE_URL"))
        let line = try #require(try repoYAML().components(separatedBy: "\n").firstIndex { $0.hasPrefix("  url:") && !$0.contains("redis") })
        #expect(error.line == line + 1, "points at database.url in the file")
    }
}

@Suite("ConfigLoader: values and overrides")
struct ConfigLoaderValueTests {
    @Test(arguments: ["", "# only a comment\n", "\n\n"])
    func emptyFileMeansDefaults(yaml: String) throws {
        let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: baseEnvironment)
        #expect(config.server.port == 4000)
        #expect(config.models.isEmpty)
        #expect(config.masterKey == "test-master-key")
    }

    /// A document marker with every key commented out is still an empty config.
    @Test(arguments: ["---\n", "---\n# server:\n#   port: 4000\n", "~\n"])
    func emptyDocumentMeansDefaults(yaml: String) throws {
        let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: baseEnvironment)
        #expect(config.server.port == 4000)
    }

    @Test func fileValuesAreRead() throws {
        let yaml = """
            server: {host: 127.0.0.1, port: 9000}
            database: {url: "postgres://u@db/x", pool_size: 8}
            redis: {url: "redis://cache:6380/2"}
            ollama: {expose_all_models: false}
            """
        let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: ["TOLLGATE_MASTER_KEY": "k"])
        #expect(config.server.port == 9000)
        #expect(config.database.url == "postgres://u@db/x")
        #expect(config.database.poolSize == 8)
        #expect(config.redis.url == "redis://cache:6380/2")
        #expect(config.ollama.exposeAllModels == false)
    }

    @Test func environmentURLsReplaceTheFileURLs() throws {
        let yaml = "database:\n  url: postgres://file/db\nredis:\n  url: redis://file:6379\n"
        let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: baseEnvironment)
        #expect(config.database.url == baseEnvironment["DATABASE_URL"])
        #expect(config.redis.url == baseEnvironment["REDIS_URL"])
    }

    @Test func emptyEnvironmentValuesAreIgnored() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_PORT"] = ""
        environment["OLLAMA_BASE_URL"] = ""
        let config = try ConfigLoader.load(yaml: "server:\n  port: 5000\n", path: "test.yaml", environment: environment)
        #expect(config.server.port == 5000)
        #expect(config.ollama.baseURL == "http://127.0.0.1:11434")
    }

    @Test func masterKeyIsReadFromTheNamedVariable() throws {
        var environment = baseEnvironment
        environment["MY_GATEWAY_KEY"] = "other-secret"
        let config = try ConfigLoader.load(yaml: "auth:\n  master_key_env: MY_GATEWAY_KEY\n", path: "test.yaml", environment: environment)
        #expect(config.masterKey == "other-secret")
    }

    @Test func missingKeyInTheNamedVariableNamesThatVariable() throws {
        let error = try configError("auth:\n  master_key_env: MY_GATEWAY_KEY\n")
        #expect(error.source == "MY_GATEWAY_KEY")
        #expect(error.message.contains("export MY_GATEWAY_KEY="))
    }

    @Test func emptyMasterKeyCountsAsMissing() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_MASTER_KEY"] = ""
        let error = try configError("", environment: environment)
        #expect(error.source == "TOLLGATE_MASTER_KEY")
    }

    @Test(arguments: ["abc", "80.5", "8080x", " 8080"])
    func nonIntegerPortVariableNamesTheVariable(value: String) throws {
        var environment = baseEnvironment
        environment["TOLLGATE_PORT"] = value
        let error = try configError("", environment: environment)
        #expect(error.source == "TOLLGATE_PORT")
        #expect(error.line == nil)
        #expect(error.message.contains("'\(value)'"))
        #expect(error.description == "TOLLGATE_PORT: must be an integer, got '\(value)'")
    }

    @Test func outOfRangePortFromTheEnvironmentBlamesTheVariable() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_PORT"] = "70000"
        let error = try configError("server:\n  port: 4000\n", environment: environment)
        #expect(error.source == "TOLLGATE_PORT")
        #expect(error.message == "server.port must be from 1 to 65535")
    }

    @Test(arguments: [
        ("DATABASE_URL", "mysql://db/x", "postgresql://"),
        ("REDIS_URL", "rediss://cache", "redis://"),
        ("OLLAMA_BASE_URL", "gpu:11434", "http://"),
        ("TOLLGATE_LOG_FORMAT", "xml", "text or json"),
        ("TOLLGATE_MAX_BODY_BYTES", "100", "1024"),
        ("TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS", "0", "positive"),
    ])
    func badEnvironmentValueBlamesTheVariable(variable: String, value: String, hint: String) throws {
        var environment = baseEnvironment
        environment[variable] = value
        let error = try configError("", environment: environment)
        #expect(error.source == variable)
        #expect(error.message.contains(hint))
    }
}
