import Foundation
import Testing

/// A `fake-ollama` process, for tests that kill a backend with SIGKILL and start it again on its port.
final class FakeOllamaProcess: @unchecked Sendable {
    // Invariant: `process` is replaced only by `restart`, from the test's task.
    let port: Int
    private let arguments: [String]
    private var process: Process

    static var binary: URL {
        get throws {
            let url = TestServices.migrationsDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/fake-ollama")
            try #require(FileManager.default.isExecutableFile(atPath: url.path), "build the fake-ollama binary first (scripts/test.sh does)")
            return url
        }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `fake-ollama` on a free port with `arguments` and waits until it answers.
    init(_ arguments: [String]) async throws {
        self.port = try GatewayProcess.freePort()
        self.arguments = arguments
        self.process = Process()
        try await launch()
    }

    private func launch() async throws {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = ["--port", String(port)] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await HTTP.shared.request("GET", baseURL + "/api/version"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTP.Failure(message: "fake-ollama did not start on port \(port)")
    }

    /// SIGKILL: connections reset, nothing finishes.
    func kill9() async { await process.killNow() }

    /// Starts it again on the same port.
    func restart() async throws { try await launch() }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
