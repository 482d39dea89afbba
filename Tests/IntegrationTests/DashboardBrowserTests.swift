import FakeOllama
import Foundation
import Testing

/// The dashboard in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by
/// `selenium` from the test command's venv): sign in, create a key and see its secret once, make chat
/// calls with it through the gateway, find them in the request log and the overview chart, block the key
/// and see a call refused, block a team on the Teams page and see its key refused, sign out.
/// `Tests/browser/dashboard.py` does the clicking; its screenshots of each
/// page go to `$TOLLGATE_SCREENSHOTS` (the test command sets it; default `.build/screenshots`).
@Suite("Dashboard in a browser")
struct DashboardBrowserTests {
    static let master = "sk-master-dashboard-browser-0123456789"
    static let steps = ["wrong_key_message", "sign_in", "create_key", "secret_shown_once", "chat_calls", "request_log", "overview_chart", "block_key", "teams", "pages", "sign_out"]

    @Test func theDashboardWorksInHeadlessChromium() async throws {
        _ = try PythonScript.python
        let fake = try await FakeOllama.start()
        let database = try await TestServices.freshDatabase()
        let gateway = try await GatewayProcess.start(
            databaseURL: database, redisURL: try TestServices.redisURL, ollamaURL: fake.baseURL, masterKey: Self.master, logLevel: "info"
        )
        defer { gateway.terminate() }
        let screenshots =
            ProcessInfo.processInfo.environment["TOLLGATE_SCREENSHOTS"] ?? PythonScript.root.appendingPathComponent(".build/screenshots").path

        let timeout = Duration.seconds(180)
        let run = try await PythonScript.run(
            "Tests/browser/dashboard.py",
            environment: ["TOLLGATE_URL": gateway.baseURL, "TOLLGATE_MASTER_KEY": Self.master, "TOLLGATE_SCREENSHOTS": screenshots, "HOME": NSTemporaryDirectory()],
            timeout: timeout
        )
        await fake.stop()
        let ending = run.status.map { "exited with \($0)" } ?? "was killed after \(timeout)"
        #expect(run.status == 0, "dashboard.py \(ending):\n\(run.output)\ngateway log:\n\(gateway.log.suffix(4000))")
        let missing = Self.steps.filter { !run.passedChecks.contains($0) }
        #expect(missing.isEmpty, "steps without `ok`: \(missing)")
        for name in ["01-sign-in-wrong-key", "05-request-log", "07-overview-24h", "16-signed-out", "17-teams", "18-team", "19-team-blocked"] {
            #expect(FileManager.default.fileExists(atPath: screenshots + "/" + name + ".png"), "no screenshot \(name)")
        }
    }
}
