public import Foundation
import Yams

/// Reads `config/tollgate.yaml` (or `TOLLGATE_CONFIG`), applies the environment overrides, and validates.
///
/// Every error says where: the file with line and column for what the file got wrong, or the
/// environment variable's name for what the environment got wrong.
public enum ConfigLoader {
    public static let defaultPath = "config/tollgate.yaml"

    /// Loads the config. A missing file at the default path means "all defaults"; a missing file that
    /// was asked for by `TOLLGATE_CONFIG` is an error.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayConfig {
        let explicit = environment["TOLLGATE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicit ?? defaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit != nil { throw ConfigError(source: path, message: "config file not found") }
            return try finish(GatewayConfig(), root: nil, path: path, environment: environment)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(source: path, message: "cannot read the config file: \(error.localizedDescription)")
        }
        return try load(yaml: text, path: path, environment: environment)
    }

    /// Loads the config from YAML text (`path` names it in errors).
    public static func load(yaml: String, path: String, environment: [String: String]) throws -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw configError(error, path: path)
        }
        // An empty document (nothing, `---`, `~`) means all defaults.
        guard let root, !root.isEmptyDocument else { return try finish(GatewayConfig(), root: nil, path: path, environment: environment) }
        do {
            let config = try YAMLDecoder().decode(GatewayConfig.self, from: root)
            return try finish(config, root: root, path: path, environment: environment)
        } catch let error as DecodingError {
            throw configError(error, root: root, path: path)
        } catch let error as YamlError {
            throw configError(error, path: path)
        }
    }

    private static func finish(_ config: GatewayConfig, root: Node?, path: String, environment: [String: String]) throws -> GatewayConfig {
        var config = config
        try EnvironmentOverrides.apply(environment, to: &config)
        try ConfigValidator(root: root, path: path, environment: environment).validate(config)
        let keyVariable = config.auth.masterKeyEnv
        guard let key = environment[keyVariable], !key.isEmpty else {
            throw ConfigError(
                source: keyVariable,
                message: "the master key is not set: export \(keyVariable)=<a long random secret> (for example: openssl rand -hex 32)"
            )
        }
        config.masterKey = key
        return config
    }

    private static func configError(_ error: YamlError, path: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) \(problem)" } ?? problem
            return ConfigError(source: path, line: mark.line, column: mark.column, message: "invalid YAML: \(detail)")
        default:
            return ConfigError(source: path, message: "invalid YAML: \(error)")
        }
    }

    private static func configError(_ error: DecodingError, root: Node, path: String) -> ConfigError {
        let (codingPath, message): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(let type, let context): (context.codingPath, "expected \(describe(type))")
            case .valueNotFound(let type, let context): (context.codingPath, "expected \(describe(type)), found nothing")
            case .keyNotFound(let key, let context): (context.codingPath, "missing required key '\(key.stringValue)'")
            case .dataCorrupted(let context): (context.codingPath, context.debugDescription)
            @unknown default: ([], "\(error)")
            }
        let dotted = codingPath.reduce(into: "") { path, key in
            if let index = key.intValue { path += "[\(index)]" } else { path += path.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        // An unknown key is blamed on the key itself; anything else on the value.
        let isUnknownKey = message.hasPrefix("unknown key")
        let mark = ConfigValidator.mark(in: root, at: codingPath, pointingAtKey: isUnknownKey)
        return ConfigError(source: path, line: mark?.line, column: mark?.column, message: dotted.isEmpty ? message : "\(dotted): \(message)")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}

extension Node {
    fileprivate var isEmptyDocument: Bool {
        guard case .scalar(let scalar) = self else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
