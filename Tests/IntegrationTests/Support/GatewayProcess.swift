import Foundation
import Testing
import Upstream

/// A real `tollgate serve` process, for tests that need several gateways or their logs.
final class GatewayProcess: @unchecked Sendable {
    // Invariant: set once in `start`, read afterwards; `process` is only stopped from the test's task.
    let port: Int
    /// `TOLLGATE_DATA_DIR`: the usage journal is in its `journal/`.
    let dataDirectory: URL
    private let process: Process
    private let logFile: URL
    /// Removed with the process object when the test did not choose it.
    private let ownsDataDirectory: Bool

    /// The built `tollgate` binary (the test command builds it with the tests).
    static var binary: URL {
        get throws {
            let root = TestServices.migrationsDirectory.deletingLastPathComponent()
            let url = root.appendingPathComponent(".build/debug/tollgate")
            try #require(FileManager.default.isExecutableFile(atPath: url.path), "build the tollgate binary first (scripts/test.sh does)")
            return url
        }
    }

    private init(port: Int, process: Process, logFile: URL, dataDirectory: URL, ownsDataDirectory: Bool) {
        self.port = port
        self.process = process
        self.logFile = logFile
        self.dataDirectory = dataDirectory
        self.ownsDataDirectory = ownsDataDirectory
    }

    /// Starts a gateway on a free port and waits until `/health/live` answers.
    ///
    /// - Parameter dataDirectory: its `TOLLGATE_DATA_DIR` (the usage journal); a fresh temporary one when nil.
    ///   Pass the same one to a restarted gateway to have it replay what the first one left.
    static func start(
        databaseURL: String, redisURL: String, ollamaURL: String, masterKey: String, logLevel: String = "debug",
        dataDirectory: URL? = nil, environment extra: [String: String] = [:]
    ) async throws -> GatewayProcess {
        let port = try freePort()
        let data = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-data-\(UUID().uuidString)")
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = try binary
        process.arguments = ["serve"]
        process.currentDirectoryURL = TestServices.migrationsDirectory.deletingLastPathComponent()
        process.environment = [
            "TOLLGATE_MASTER_KEY": masterKey, "DATABASE_URL": databaseURL, "REDIS_URL": redisURL, "OLLAMA_BASE_URL": ollamaURL,
            "TOLLGATE_HOST": "127.0.0.1", "TOLLGATE_PORT": String(port), "TOLLGATE_LOG_LEVEL": logLevel, "TOLLGATE_DATA_DIR": data.path,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ].merging(extra) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let gateway = GatewayProcess(port: port, process: process, logFile: logFile, dataDirectory: data, ownsDataDirectory: dataDirectory == nil)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await HTTP.shared.request("GET", "http://127.0.0.1:\(port)/health/live"))?.status == 200 { return gateway }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await gateway.stop()
        Issue.record("gateway did not start:\n\(gateway.log)")
        throw HTTP.Failure(message: "gateway did not start")
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Everything the process wrote to stdout and stderr.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM without waiting.
    func terminate() { process.terminate() }

    /// Sends SIGHUP (reload the config file's backends and aliases).
    func hangUp() { kill(process.processIdentifier, SIGHUP) }

    /// Sends SIGKILL (no shutdown of any kind) and waits for the process to be gone.
    func kill9() async { await process.killNow() }

    /// Waits for the process to exit (at most `timeout`); returns its exit status, nil if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        await process.exited(within: timeout) ? process.terminationStatus : nil
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after 30 s); returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning {
            process.terminate()
            if await !process.exited(within: .seconds(30)) { await process.killNow() }
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: logFile)
        if ownsDataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// A TCP port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HTTP.Failure(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A small HTTP client for tests that talk to gateway processes, on the project's own curl engine.
struct HTTP: Sendable {
    struct Failure: Error { var message: String }

    static let shared = HTTP(engine: CurlEngine(logger: TestServices.logger))

    let engine: CurlEngine

    func request(_ method: String, _ url: String, json: String? = nil, key: String? = nil) async throws -> (status: Int, body: String) {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let key { headers.append(("Authorization", "Bearer \(key)")) }
        let response = try await engine.execute(
            UpstreamRequest(method: method, url: url, headers: headers, body: json.map { Array($0.utf8) }, firstByteTimeout: .seconds(30))
        )
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (response.status, String(decoding: bytes, as: UTF8.self))
    }

    static func json(_ body: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}
