import Foundation
import Testing

/// A PostgreSQL and a Redis of the test's own (`scripts/services.sh` on a private directory), so the test can
/// stop and start PostgreSQL or Redis without disturbing any other test. Each keeps its port across a restart.
///
/// No pipes: the script's output goes to a file, and the servers it starts keep no descriptor of ours.
final class PrivateServices: @unchecked Sendable {
    // Invariant: the URLs are set once by `start`, before the test reads them.
    let directory: URL
    private(set) var databaseURL = ""
    private(set) var redisURL = ""

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-svc-\(UUID().uuidString.prefix(8))")
    }

    /// Starts both servers (a throw-away cluster: no fsync) and reads their URLs.
    func start() async throws {
        try await run("start", environment: ["SERVICES_EPHEMERAL": "1"])
        let env = try String(contentsOf: directory.appendingPathComponent("env"), encoding: .utf8)
        for line in env.split(separator: "\n") {
            let parts = line.replacingOccurrences(of: "export ", with: "").split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "DATABASE_URL" { databaseURL = parts[1] }
            if parts[0] == "REDIS_URL" { redisURL = parts[1] }
        }
        try #require(!databaseURL.isEmpty && !redisURL.isEmpty, "services.sh wrote no URLs: \(env)")
    }

    func stopPostgres() async throws { try await run("stop-postgres") }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the Redis server: it keeps its connections but answers nothing.
    func signalRedis(_ signal: Int32) throws {
        let text = try String(contentsOf: directory.appendingPathComponent("redis/redis.pid"), encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "no Redis pid in \(text)")
        try #require(kill(pid, signal) == 0, "kill(\(pid), \(signal)) failed")
    }
    func startPostgres() async throws { try await run("start-postgres") }
    func stopRedis() async throws { try await run("stop-redis") }
    func startRedis() async throws { try await run("start-redis") }

    /// Stops both servers and removes the directory.
    func stop() async {
        try? await run("stop")
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ command: String, environment extra: [String: String] = [:]) async throws {
        let root = TestServices.migrationsDirectory.deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("services-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/services.sh").path, command, directory.path]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        guard await process.exited(within: .seconds(120)) else {
            await process.killNow()
            throw HTTP.Failure(message: "services.sh \(command) did not finish in 120 s")
        }
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            throw HTTP.Failure(message: "services.sh \(command) failed (\(process.terminationStatus)):\n\(log)")
        }
    }
}
