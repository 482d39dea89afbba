import ArgumentParser
import Foundation
import Gateway
import Logging
import Postgres
import Hummingbird
import UnixSignals

/// `tollgate`: the gateway's command line.
@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "A self-hosted LLM gateway in front of Ollama: keys, limits, budgets and usage.",
        subcommands: [Serve.self, Migrate.self],
        defaultSubcommand: Serve.self
    )
}

/// Loads the config or exits with its error (file:line:column: what is wrong).
func loadConfigOrExit() -> GatewayConfig {
    do {
        return try ConfigLoader.load()
    } catch {
        FileHandle.standardError.write(Data("tollgate: configuration error: \(error)\n".utf8))
        Foundation.exit(2)
    }
}

func migrationsOrExit() -> URL {
    guard let directory = MigrationsDirectory.locate() else {
        FileHandle.standardError.write(Data("tollgate: cannot find the migrations/ folder; set TOLLGATE_MIGRATIONS_DIR\n".utf8))
        Foundation.exit(2)
    }
    return directory
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve the gateway.")

    func run() async throws {
        let config = loadConfigOrExit()
        GatewayLogging.bootstrap(format: config.log.format, level: config.log.level)
        let logger = Logger(label: "tollgate")
        let app = try GatewayApplication.build(config: config, migrationsDirectory: migrationsOrExit(), logger: logger) { port in
            logger.info("tollgate listening", metadata: ["host": "\(config.server.host)", "port": "\(port)", "ollama": "\(config.ollama.baseURL)"])
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

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
