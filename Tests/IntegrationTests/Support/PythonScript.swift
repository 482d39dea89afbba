import Foundation
import Testing

/// Runs a Python script from the repository with the interpreter the test command provides
/// (`TOLLGATE_TEST_PYTHON`, a venv with the SDK clients installed).
struct PythonScript {
    /// How a run ended.
    struct Outcome {
        /// The exit status, or `nil` when the script was killed at the timeout.
        var status: Int32?
        /// Everything it wrote to stdout and stderr.
        var output: String

        /// The names after `ok ` at the start of a line.
        var passedChecks: Set<String> {
            Set(output.split(separator: "\n").compactMap { line in line.hasPrefix("ok ") ? String(line.dropFirst(3)) : nil })
        }
    }

    /// The interpreter; a missing `TOLLGATE_TEST_PYTHON` fails the test (no silent skip).
    static var python: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_PYTHON"], "run through scripts/test.sh (it provides Python and the SDKs)")
        }
    }

    /// The repository root.
    static var root: URL { TestServices.migrationsDirectory.deletingLastPathComponent() }

    /// Runs `path` (relative to the repository root) with only `environment` (plus `PATH` and
    /// Python's I/O settings), so that proxies and credentials of the caller do not leak in.
    /// After `timeout` the script is killed with SIGKILL.
    static func run(_ path: String, environment: [String: String], timeout: Duration) async throws -> Outcome {
        // Output to a file, never a pipe: the servers other tests start meanwhile inherit a pipe's
        // write end, and reading it to its end would then hang.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let handle = try FileHandle(forWritingTo: outputFile)
        defer { try? handle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python)
        process.arguments = [root.appendingPathComponent(path).path]
        process.currentDirectoryURL = root
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
        ].merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var status: Int32?
        if await process.exited(within: timeout) {
            status = process.terminationStatus
        } else {
            await process.killNow()
        }
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return Outcome(status: status, output: output)
    }
}
