import Foundation
import Logging
import Postgres
import Redis
import Testing

/// The real PostgreSQL and Redis the test command (`scripts/test.sh`) starts. Integration tests
/// fail, never skip, when they are missing: run them through the test command.
enum TestServices {
    static var databaseURL: String {
        get throws {
            try #require(
                ProcessInfo.processInfo.environment["DATABASE_URL"],
                "DATABASE_URL is not set: run the integration tests with scripts/test.sh, which starts PostgreSQL and Redis"
            )
        }
    }

    static var redisURL: String {
        get throws {
            try #require(
                ProcessInfo.processInfo.environment["REDIS_URL"],
                "REDIS_URL is not set: run the integration tests with scripts/test.sh, which starts PostgreSQL and Redis"
            )
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "tollgate-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A new, empty database on the test server, so tests never see each other's rows. Returns its URL.
    static func freshDatabase() async throws -> String {
        let serverURL = try databaseURL
        let name = "tg_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = PostgresPool(configuration: .init(url: serverURL, maxConnections: 1), logger: logger)
        // CREATE DATABASE takes an identifier, not a parameter; `name` is generated here from hex digits only.
        try await admin.query("CREATE DATABASE \(name)")
        guard let slash = serverURL.lastIndex(of: "/") else { throw PostgresError(.badResult, message: "bad DATABASE_URL") }
        return String(serverURL[...slash]) + name
    }

    /// The repository's `migrations/` folder.
    static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations")
    }
}
