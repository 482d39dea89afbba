import Foundation
import Postgres
import Redis

/// What the gateway's routes are built from (``GatewayApplication/buildRouter(_:)``).
///
/// Model calls and the authentication in front of them depend on small protocols, so router tests build
/// the router from in-memory versions: no PostgreSQL, Redis or Ollama. The rest of the gateway (health,
/// metrics, Ollama's metadata routes, stored responses, the admin API and the dashboard) uses the concrete
/// parts in ``infrastructure``; with none, as in router tests, only the model-call routes are registered.
struct GatewayDependencies: Sendable {
    var config: GatewayConfig
    /// Virtual keys by secret, for the key and admin authenticators.
    var keys: any KeyLookup
    /// The fleet of Ollama backends model calls go to.
    var backend: any ModelBackend
    /// Which models exist: aliases, then the fleet's own names.
    var models: any ModelDirectory
    /// Keys' limits and budgets.
    var limiter: any Limiter
    /// Where each request's usage record goes.
    var usage: any UsageSink
    var metrics: GatewayMetrics
    /// Fetches and inlines remote images; nil leaves them as they are.
    var remoteImages: RemoteImages?
    /// End users' settings; nil: end users are recorded but never limited.
    var endUsers: EndUserCache?
    /// The parts over PostgreSQL, Redis and the fleet that stay concrete; nil registers the model-call routes only.
    var infrastructure: Infrastructure?
    /// The wall clock budget periods and reports are computed with.
    var now: @Sendable () -> Date = { Date() }

    /// The concrete parts behind the routes that are not model calls (in production, the same fleet and
    /// catalog as ``backend`` and ``models``).
    struct Infrastructure: Sendable {
        var pool: PostgresPool
        var redis: RedisClient
        var fleet: Fleet
        var catalog: ModelCatalog
        var journal: UsageJournal
        var keyCache: KeyCache
        var keyStore: KeyStore
        var keyEvents: KeyEvents
    }
}
