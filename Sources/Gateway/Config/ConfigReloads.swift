public import Logging
import Locking

/// Applies a reloaded config to a running gateway: the backend list and fleet settings, and the model
/// aliases. Calls in flight finish on the backends they have; new calls see the new config. Other
/// settings (ports, database, limits, …) take a restart; `tollgate serve` reloads on SIGHUP.
public final class ConfigReloads: Sendable {
    private struct Targets {
        var fleet: Fleet?
        var catalog: ModelCatalog?
    }

    private let targets = Locked(Targets())

    public init() {}

    func attach(fleet: Fleet, catalog: ModelCatalog) {
        targets.withLock { $0 = Targets(fleet: fleet, catalog: catalog) }
    }

    /// Puts `config`'s backends and aliases in force.
    public func apply(_ config: GatewayConfig, logger: Logger) {
        let (fleet, catalog) = targets.withLock { ($0.fleet, $0.catalog) }
        fleet?.reconfigure(config.ollama)
        catalog?.update(config)
        logger.info("configuration reloaded", metadata: ["backends": "\(config.ollama.fleet.map(\.name).joined(separator: ","))", "models": "\(config.models.count)"])
        if let fleet { Task { await fleet.discover() } }
    }
}
