import Foundation
import Testing

/// Runs a command-line program (the Codex and Claude Code binaries the test venv holds) with only the
/// environment given, output to a file, killed at a deadline.
enum CLIProcess {
    struct Outcome {
        /// The exit status, or `nil` when the program was killed at the timeout.
        var status: Int32?
        var stdout: String
        var stderr: String
        var elapsed: Duration
    }

    /// A binary inside the test venv's `site-packages` (e.g. `codex_cli_bin/bin/codex`); a missing one fails the test.
    static func venvBinary(_ relativePath: String) throws -> URL {
        let python = URL(fileURLWithPath: try PythonScript.python)
        let lib = python.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        for version in versions where version.hasPrefix("python") {
            let url = lib.appendingPathComponent(version).appendingPathComponent("site-packages").appendingPathComponent(relativePath)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        Issue.record("\(relativePath) is not in the test venv; scripts/test.sh installs it (PY_PACKAGES)")
        throw CocoaError(.fileNoSuchFile)
    }

    static func run(
        _ executable: URL, arguments: [String], environment: [String: String], directory: URL, timeout: Duration
    ) async throws -> Outcome {
        let temp = FileManager.default.temporaryDirectory
        let outFile = temp.appendingPathComponent("cli-\(UUID().uuidString).out")
        let errFile = temp.appendingPathComponent("cli-\(UUID().uuidString).err")
        for file in [outFile, errFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        defer { for file in [outFile, errFile] { try? FileManager.default.removeItem(at: file) } }
        let out = try FileHandle(forWritingTo: outFile)
        let err = try FileHandle(forWritingTo: errFile)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var status: Int32?
        if await process.exited(within: timeout) {
            status = process.terminationStatus
        } else {
            await process.killNow()
        }
        return Outcome(
            status: status, stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "", elapsed: ContinuousClock.now - started
        )
    }
}
