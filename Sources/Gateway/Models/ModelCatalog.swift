import Dialects
import Logging
import Synchronization

/// A model a request may use: its public name, the Ollama model behind it, and its prices.
struct ResolvedModel: Sendable, Equatable {
    var publicName: String
    var ollamaModel: String
    var inputPricePerMillion: Double
    var outputPricePerMillion: Double

    /// The cost of `usage` in micro-dollars. A price per million tokens in dollars is a price per token
    /// in micro-dollars, so this is exact up to rounding of fractional prices.
    func costMicros(promptTokens: Int, completionTokens: Int) -> Int64 {
        Int64((Double(promptTokens) * inputPricePerMillion + Double(completionTokens) * outputPricePerMillion).rounded())
    }
}

/// Resolves model names: configured aliases first, then (unless turned off) any model Ollama reports.
///
/// Ollama's list is cached and refreshed at most every ``refreshInterval``, and on a miss at most once
/// per ``missRefreshInterval``, so a burst of requests for an unknown model does not flood Ollama.
final class ModelCatalog: Sendable {
    static let refreshInterval: Duration = .seconds(30)
    static let missRefreshInterval: Duration = .seconds(2)

    private let aliases: [String: ResolvedModel]
    private let aliasOrder: [String]
    private let exposeAllModels: Bool
    private let ollama: OllamaClient
    private let logger: Logger
    private let cache = Mutex(Cache())

    private struct Cache {
        var names: [String] = []
        var fetchedAt: ContinuousClock.Instant?
        /// Whether the last attempt to list Ollama's models failed.
        var listFailed = false
        /// Each Ollama model's capabilities (`completion`, `tools`, `thinking`, `vision`, …) from `/api/show`.
        var capabilities: [String: (Set<String>, ContinuousClock.Instant)] = [:]
    }

    /// How long a model's capabilities are trusted before `/api/show` is asked again.
    static let capabilitiesLifetime: Duration = .seconds(300)

    init(config: GatewayConfig, ollama: OllamaClient, logger: Logger) {
        var aliases: [String: ResolvedModel] = [:]
        for alias in config.models {
            aliases[alias.name] = ResolvedModel(
                publicName: alias.name, ollamaModel: alias.ollamaModel,
                inputPricePerMillion: alias.inputPricePerMillion, outputPricePerMillion: alias.outputPricePerMillion
            )
        }
        self.aliases = aliases
        self.aliasOrder = config.models.map(\.name)
        self.exposeAllModels = config.ollama.exposeAllModels
        self.ollama = ollama
        self.logger = logger
    }

    /// The model `name` names, or nil when it is neither an alias nor (when allowed) an Ollama model.
    func resolve(_ name: String) async -> ResolvedModel? {
        if let alias = aliases[name] { return alias }
        guard exposeAllModels else { return nil }
        if let match = Self.match(name, in: await ollamaModels(refreshingIfOlderThan: Self.refreshInterval)) {
            return ResolvedModel(publicName: name, ollamaModel: match, inputPricePerMillion: 0, outputPricePerMillion: 0)
        }
        let fresh = await ollamaModels(refreshingIfOlderThan: Self.missRefreshInterval)
        return Self.match(name, in: fresh).map {
            ResolvedModel(publicName: name, ollamaModel: $0, inputPricePerMillion: 0, outputPricePerMillion: 0)
        }
    }

    /// The canonical form of `name` if the catalog knows it (an alias, or a model Ollama last reported),
    /// else nil. Asks no one: for labelling metrics, where an unknown name must not become a series.
    func knownName(_ name: String) -> String? {
        if aliases[name] != nil { return name }
        return Self.match(name, in: cache.withLock { $0.names })
    }

    /// True when Ollama could not be asked for its models the last time it was: a name that is not an
    /// alias may then exist after all, so "not found" would be the wrong answer.
    var cannotListOllama: Bool { exposeAllModels && cache.withLock { $0.listFailed } }

    /// Every name a client may use: aliases, then Ollama's models (when allowed).
    func listed() async -> [String] {
        guard exposeAllModels else { return aliasOrder }
        let known = Set(aliasOrder)
        return aliasOrder + (await ollamaModels(refreshingIfOlderThan: Self.refreshInterval)).filter { !known.contains($0) }
    }

    /// What `ollamaModel` can do, as `/api/show` reports it; nil when Ollama cannot say (unreachable, or
    /// too old to report capabilities), in which case callers leave the request as it is.
    func capabilities(of ollamaModel: String) async -> Set<String>? {
        if let (known, fetched) = cache.withLock({ $0.capabilities[ollamaModel] }), fetched.duration(to: .now) < Self.capabilitiesLifetime {
            return known
        }
        guard let shown = try? await ollama.show(ollamaModel), let list = shown["capabilities"]?.array else { return nil }
        let capabilities = Set(list.compactMap(\.string))
        cache.withLock { $0.capabilities[ollamaModel] = (capabilities, .now) }
        return capabilities
    }

    /// Ollama's own matching: `llama3.2` is `llama3.2:latest`, and names compare case-insensitively.
    static func match(_ name: String, in names: [String]) -> String? {
        let wanted = normalized(name)
        return names.first { normalized($0) == wanted }
    }

    private static func normalized(_ name: String) -> String {
        let lower = name.lowercased()
        let lastComponent = lower.split(separator: "/").last ?? ""
        return lastComponent.contains(":") ? lower : lower + ":latest"
    }

    private func ollamaModels(refreshingIfOlderThan age: Duration) async -> [String] {
        let (names, stale) = cache.withLock { cache in
            (cache.names, cache.fetchedAt.map { $0.duration(to: .now) > age } ?? true)
        }
        guard stale else { return names }
        cache.withLock { $0.fetchedAt = .now }  // one refresh at a time; others use the current list
        do {
            let fresh = try await ollama.tags().models.map(\.name)
            cache.withLock {
                $0.names = fresh
                $0.listFailed = false
            }
            return fresh
        } catch {
            cache.withLock { $0.listFailed = true }
            logger.warning("cannot list Ollama's models", metadata: ["error": "\(error)"])
            return names
        }
    }
}
