import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// A usage journal that cannot be written makes the instance not ready, with the reason; one that cannot be
/// written at start-up stops the start with a message naming the directory and the system's error.
///
/// The tests run as root, which ignores permission bits, so they make writes fail in ways root cannot
/// override: an immutable directory (`chattr +i`), a sysfs directory, a path through a regular file.
@Suite("Usage journal health", .serialized, .timeLimit(.minutes(2)))
struct JournalHealthTests {
    /// Runs `chattr` with `flag` (`+i`, `-i`) on `path`, failing the test when it cannot.
    static func chattr(_ flag: String, _ path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [flag, path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "chattr \(flag) \(path) failed (the test needs chattr from e2fsprogs and CAP_LINUX_IMMUTABLE)")
    }

    @Test("A journal directory that became unwritable makes /health/ready 503 with the reason; writable again, ready again")
    func unwritableAfterStart() async throws {
        try await GatewayHarness.run { gateway in
            let directory = gateway.config.usage.journalDir
            #expect(try await gateway.get("/health/ready", key: "").status == .ok)
            try Self.chattr("+i", directory)
            do {
                let chat = try await gateway.post("/api/chat", json: #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hi"}]}"#)
                #expect(chat.status == .ok, "the request itself was served; its record is kept in memory")
                let ready = try await gateway.get("/health/ready", key: "")
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.json?["usage_journal"] as? String == "down")
                let reason = ready.json?["usage_journal_error"] as? String ?? ""
                #expect(reason.contains(directory) && reason.contains("Operation not permitted"), "\(reason)")
                #expect(ready.json?["status"] as? String == "not_ready")
            } catch {
                Issue.record(error)
            }
            try Self.chattr("-i", directory)
            let again = try await gateway.get("/health/ready", key: "")
            #expect(again.status == .ok, "\(again.text)")
            #expect(again.json?["usage_journal"] as? String == "up")
        }
    }

    @Test("Start-up with an unwritable journal directory fails naming the directory and errno's text")
    func unwritableAtStart() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-not-a-dir-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        // sysfs: a directory even root cannot create files in; a regular file; a path through a regular file.
        let cases = [
            ("/sys/kernel", "/sys/kernel (usage.journal_dir) is not writable", "Permission denied"),
            (file.path, "\(file.path) (usage.journal_dir)", "is a file, not a directory"),
            (file.path + "/journal", "mkdir \(file.path)", "Not a directory"),
        ]
        for (directory, expected, errnoText) in cases {
            var config = GatewayConfig()
            config.database.url = "postgresql://127.0.0.1:1/unused"
            config.redis.url = "redis://127.0.0.1:1/0"
            config.usage.journalDir = directory
            do {
                _ = try GatewayApplication.build(config: config, migrationsDirectory: TestServices.migrationsDirectory, logger: TestServices.logger)
                Issue.record("started with journal_dir \(directory)")
            } catch {
                let message = "\(error)"
                #expect(message.contains(expected) && message.contains(errnoText), "\(message)")
            }
        }
    }
}
