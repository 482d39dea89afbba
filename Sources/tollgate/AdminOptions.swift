import ArgumentParser
import Foundation

/// The options every admin command (`keys …`, `users …`) takes.
struct AdminOptions: ParsableArguments {
    /// The environment variable holding the master key; never printed.
    static let masterKeyVariable = "TOLLGATE_MASTER_KEY"
    static let defaultURL = "http://127.0.0.1:4000"

    @Option(help: ArgumentHelp("The gateway's base URL (default: $TOLLGATE_URL, else \(Self.defaultURL))", valueName: "url"))
    var url: String?

    @Flag(help: "Print the gateway's JSON response (pretty-printed) instead of tables, for scripts.")
    var json = false

    /// `--url`, else `TOLLGATE_URL`, else the local default.
    var resolvedURL: String {
        if let url, !url.isEmpty { return url }
        if let env = ProcessInfo.processInfo.environment["TOLLGATE_URL"], !env.isEmpty { return env }
        return Self.defaultURL
    }

    /// Runs `body` with a client for the gateway, turning failures into a message on stderr and an exit code:
    /// 2 when the master key is not set, 1 when the gateway refuses the call or cannot be reached.
    func withClient(_ body: (AdminClient) async throws -> Void) async throws {
        guard let masterKey = ProcessInfo.processInfo.environment[Self.masterKeyVariable], !masterKey.isEmpty else {
            printError("tollgate: \(Self.masterKeyVariable) is not set; the admin commands need the gateway's master key in it")
            throw ExitCode(2)
        }
        let client = AdminClient(baseURL: resolvedURL, masterKey: masterKey)
        defer { client.shutdown() }
        do {
            try await body(client)
        } catch let failure as AdminFailure {
            switch failure {
            case .api(let status, let message): printError("error (\(status)): \(message)")
            case .connection(let message): printError("tollgate: \(message)")
            case .badResponse(let message), .refused(let message): printError("tollgate: \(message)")
            }
            throw ExitCode(1)
        }
    }

    /// Prints `object` for `--json`: pretty, keys sorted, slashes unescaped, empty containers as `{}` / `[]`.
    func printJSON(_ object: Any) {
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else { return }
        // Foundation writes an empty container over three lines. A raw newline is never inside a JSON
        // string, so a bracket pair with only newlines and spaces between is always an empty container.
        let text = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "\\{\\n[ \\n]*\\}", with: "{}", options: .regularExpression)
            .replacingOccurrences(of: "\\[\\n[ \\n]*\\]", with: "[]", options: .regularExpression)
        print(text)
    }
}

/// Writes `line` and a newline to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
