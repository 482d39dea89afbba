public import Foundation

/// Finds the `migrations/` folder: `TOLLGATE_MIGRATIONS_DIR`, else `./migrations`, else the nearest
/// `migrations/` above the executable (a checkout's `.build/release/tollgate`, or `/app/bin/tollgate`).
public enum MigrationsDirectory {
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let explicit = environment["TOLLGATE_MIGRATIONS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let fileManager = FileManager.default
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("migrations")
        if fileManager.fileExists(atPath: local.path) { return local }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("migrations")
            if fileManager.fileExists(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
