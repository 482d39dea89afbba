import Dialects
import Logging
import Locking

/// A model a request may use: its public name, the Ollama model behind it, its prices, and the backends
/// that may serve it.
struct ResolvedModel: Sendable, Equatable {
    var publicName: String
    var ollamaModel: String
    var inputPricePerMillion: Double
    var outputPricePerMillion: Double
    /// Only these backends serve it (an alias's `backends`, a `model@backend` pin); nil for any that has it.
    var backends: Set<String>? = nil

    /// The cost of `usage` in micro-dollars. A price per million tokens in dollars is a price per token
    /// in micro-dollars, so this is exact up to rounding of fractional prices.
    func costMicros(promptTokens: Int, completionTokens: Int) -> Int64 {
        Int64((Double(promptTokens) * inputPricePerMillion + Double(completionTokens) * outputPricePerMillion).rounded())
    }
}

/// Resolves model names: configured aliases first, then (unless turned off) any model a backend of the
/// fleet lists.
///
/// The fleet's listing is loaded before the gateway listens and refreshed in the background; a refresh
/// replaces one backend's list at once (a failed one keeps the old list), so the catalog is never empty
/// or partial while it refreshes. A name found nowhere waits for a refresh (one shared by all concurrent
/// misses, each call bounded by `probe_timeout_ms`) at most once per ``missRefreshInterval``; in between,
/// misses wait for the refresh already running, if any, so a burst of unknown names does not flood Ollama.
final class ModelCatalog: Sendable {
    static let missRefreshInterval: Duration = .seconds(2)

    private struct Aliases {
        var byName: [String: ResolvedModel] = [:]
        var order: [String] = []
        var exposeAllModels = true
        var allowPinning = false
    }

    private let aliases = Locked(Aliases())
    private let fleet: Fleet
    private let logger: Logger
    private let lastMissRefresh = Locked<ContinuousClock.Instant?>(nil)
    /// Each Ollama model's capabilities (`completion`, `tools`, `thinking`, `vision`, …) from `/api/show`.
    private let capabilityCache = Locked<[String: (Set<String>, ContinuousClock.Instant)]>([:])

    /// How long a model's capabilities are trusted before `/api/show` is asked again.
    static let capabilitiesLifetime: Duration = .seconds(300)

    init(config: GatewayConfig, fleet: Fleet, logger: Logger) {
        self.fleet = fleet
        self.logger = logger
        update(config)
    }

    /// Takes the aliases and model settings of a new config (SIGHUP).
    func update(_ config: GatewayConfig) {
        var table = Aliases(exposeAllModels: config.ollama.exposeAllModels, allowPinning: config.ollama.allowPinning)
        for alias in config.models {
            table.byName[alias.name] = ResolvedModel(
                publicName: alias.name, ollamaModel: alias.ollamaModel,
                inputPricePerMillion: alias.inputPricePerMillion, outputPricePerMillion: alias.outputPricePerMillion,
                backends: alias.backends.map(Set.init)
            )
        }
        table.order = config.models.map(\.name)
        aliases.withLock { $0 = table }
    }

    /// The model `name` names, or nil when it is neither an alias nor (when allowed) a model some backend
    /// has. With `allow_pinning`, `model@backend` is `model` served by that backend only.
    func resolve(_ name: String) async -> ResolvedModel? {
        let table = aliases.withLock { $0 }
        if table.allowPinning, let at = name.lastIndex(of: "@") {
            let backend = String(name[name.index(after: at)...])
            if fleet.isConfigured(backend) {
                guard var model = await resolve(String(name[..<at]), table: table), model.backends?.contains(backend) ?? true else { return nil }
                model.backends = [backend]
                return model
            }
        }
        return await resolve(name, table: table)
    }

    /// The canonical form of `name` if the catalog knows it (an alias, or a model some backend lists),
    /// else nil. Asks no one: for labelling metrics, where an unknown name must not become a series.
    func knownName(_ name: String) -> String? {
        let table = aliases.withLock { $0 }
        if table.byName[name] != nil { return name }
        return fleet.listedModel(matching: name)
    }

    private func resolve(_ name: String, table: Aliases) async -> ResolvedModel? {
        if let alias = table.byName[name] { return alias }
        guard table.exposeAllModels else { return nil }
        if let match = fleet.listedModel(matching: name) { return Self.discovered(name, match) }
        await refreshAfterMiss()
        return fleet.listedModel(matching: name).map { Self.discovered(name, $0) }
    }

    private static func discovered(_ name: String, _ match: String) -> ResolvedModel {
        ResolvedModel(publicName: name, ollamaModel: match, inputPricePerMillion: 0, outputPricePerMillion: 0)
    }

    /// A refresh for a name found nowhere: a new one at most once per ``missRefreshInterval``, otherwise
    /// the one in progress (if any). Concurrent misses share one refresh.
    private func refreshAfterMiss() async {
        let start = lastMissRefresh.withLock { last in
            guard last.map({ $0.duration(to: .now) < Self.missRefreshInterval }) != true else { return false }
            last = .now
            return true
        }
        if start { await fleet.discover() } else { await fleet.discoveryInProgress() }
    }

    /// True when no backend could be asked for its models the last time: a name that is not an alias may
    /// then exist after all, so "not found" would be the wrong answer.
    var cannotListOllama: Bool { aliases.withLock { $0.exposeAllModels } && fleet.noListing }

    /// Every name a client may use: aliases, then the fleet's models (when allowed), each once.
    func listed() async -> [String] {
        let table = aliases.withLock { $0 }
        guard table.exposeAllModels else { return table.order }
        let known = Set(table.order)
        return table.order + fleet.modelNames().filter { !known.contains($0) }
    }

    /// What `ollamaModel` can do, as `/api/show` on a backend that has it reports; nil when no backend can
    /// say (unreachable, or too old to report capabilities), in which case callers leave the request as it is.
    func capabilities(of ollamaModel: String) async -> Set<String>? {
        if let (known, fetched) = capabilityCache.withLock({ $0[ollamaModel] }), fetched.duration(to: .now) < Self.capabilitiesLifetime {
            return known
        }
        guard let client = fleet.client(for: ollamaModel), let shown = try? await client.show(ollamaModel),
            let list = shown["capabilities"]?.array
        else { return nil }
        let capabilities = Set(list.compactMap(\.string))
        capabilityCache.withLock { $0[ollamaModel] = (capabilities, .now) }
        return capabilities
    }

    /// Ollama's own matching: `llama3.2` is `llama3.2:latest`, and names compare case-insensitively.
    static func match(_ name: String, in names: [String]) -> String? {
        let wanted = ModelName.normalized(name)
        return names.first { ModelName.normalized($0) == wanted }
    }
}
