import ArgumentParser
import Foundation
import Gateway
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `tollgate serve`: migrates the database, then serves the gateway until SIGTERM or SIGINT. SIGHUP
/// reloads the config file's backends and model aliases; a file with an error is refused (the error is
/// logged with its file:line:column) and the running config stays.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve the gateway.")

    func run() async throws {
        let config = loadConfigOrExit()
        MemoryTrimmer.configureAllocator()
        GatewayLogging.bootstrap(format: config.log.format, level: config.log.level)
        let logger = Logger(label: "tollgate")
        let reloads = ConfigReloads()
        let backends = config.ollama.fleet.map { "\($0.name)=\($0.url)" }.joined(separator: ",")
        let app = try GatewayApplication.build(
            config: config, migrationsDirectory: migrationsOrExit(), logger: logger,
            onServerRunning: { port in
                logger.info("tollgate listening", metadata: ["host": "\(config.server.host)", "port": "\(port)", "backends": "\(backends)"])
            },
            reloads: reloads
        )
        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                do {
                    reloads.apply(try ConfigLoader.load(), logger: logger)
                } catch {
                    logger.error("configuration not reloaded; the running one stays", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { hangups.cancel() }
        // SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish for up to the grace
        // period, then close the connections still open (ShutdownGrace); the services then stop in order,
        // the usage recorder writing its queue before the PostgreSQL pool closes. Cancellation is only the
        // backstop for a shutdown that is stuck 30 s past the grace period.
        let grace = config.server.shutdownGraceSeconds
        var group = ServiceGroupConfiguration(
            services: [app, MemoryTrimmer(), ShutdownGrace(grace: .seconds(grace), logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        group.maximumGracefulShutdownDuration = .seconds(grace + 30)
        group.maximumCancellationDuration = .seconds(10)
        try await ServiceGroup(configuration: group).run()
        logger.info("tollgate stopped")
    }
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

/// The `migrations/` folder, or exits saying how to point at it.
func migrationsOrExit() -> URL {
    guard let directory = MigrationsDirectory.locate() else {
        FileHandle.standardError.write(Data("tollgate: cannot find the migrations/ folder; set TOLLGATE_MIGRATIONS_DIR\n".utf8))
        Foundation.exit(2)
    }
    return directory
}
