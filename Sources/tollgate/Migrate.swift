import ArgumentParser
import Gateway
import Logging
import Postgres

/// `tollgate migrate`: applies the database migrations and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations and exit.")

    func run() async throws {
        let config = loadConfigOrExit()
        GatewayLogging.bootstrap(format: config.log.format, level: config.log.level)
        let logger = Logger(label: "tollgate")
        let pool = PostgresPool(configuration: .init(url: config.database.url, maxConnections: 1), logger: logger)
        let applied = try await Migrator(pool: pool, directory: migrationsOrExit()).migrate(logger: logger)
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}
