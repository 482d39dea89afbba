import Foundation

/// The environment variables that override the config file: the contract deploy files, the benchmark
/// and operators' scripts rely on.
enum EnvironmentOverrides {
    static func apply(_ environment: [String: String], to config: inout GatewayConfig) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text) else { throw ConfigError(source: name, message: "must be an integer, got '\(text)'") }
            return number
        }
        if let url = value("DATABASE_URL") { config.database.url = url }
        if let url = value("REDIS_URL") { config.redis.url = url }
        if let url = value("OLLAMA_BASE_URL") {
            config.ollama.baseURL = url
            config.ollama.backends = []
        }
        // Open WebUI's variable: several Ollama servers, separated by semicolons or commas, named ollama-1, ollama-2, ….
        if let urls = value("OLLAMA_BASE_URLS") {
            let list = urls.split(whereSeparator: { $0 == "," || $0 == ";" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            config.ollama.backends = list.enumerated().map { .init(name: "ollama-\($0.offset + 1)", url: $0.element) }
        }
        if let host = value("TOLLGATE_HOST") { config.server.host = host }
        if let port = try integer("TOLLGATE_PORT") { config.server.port = port }
        if let bytes = try integer("TOLLGATE_MAX_BODY_BYTES") { config.server.maxBodyBytes = bytes }
        if let ms = try integer("TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS") { config.ollama.connectTimeoutMs = ms }
        if let seconds = try integer("TOLLGATE_UPSTREAM_FIRST_BYTE_TIMEOUT_S") { config.ollama.firstByteTimeoutSeconds = seconds }
        if let seconds = try integer("TOLLGATE_SHUTDOWN_GRACE_S") { config.server.shutdownGraceSeconds = seconds }
        if let format = value("TOLLGATE_LOG_FORMAT") { config.log.format = format }
        if let level = value("TOLLGATE_LOG_LEVEL") { config.log.level = level }
        // The instance's local state; today that is the usage journal.
        if let directory = value("TOLLGATE_DATA_DIR") { config.usage.journalDir = (directory.hasSuffix("/") ? directory : directory + "/") + "journal" }
    }
}
