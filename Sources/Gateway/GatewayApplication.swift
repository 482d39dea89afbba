public import Foundation
public import Hummingbird
public import Logging
import NIOCore
import Postgres
import Redis
import ServiceLifecycle
import Upstream

/// Builds the gateway: the shared clients (PostgreSQL, Redis, curl), the usage recorder, and the routes
/// over them (``buildRouter(_:)``, which router tests call with in-memory parts).
///
/// Production (`tollgate serve`) and the integration tests both call this. The clients are services
/// added in dependency order, so on shutdown the server stops first, then the usage recorder flushes,
/// then the clients close.
public enum GatewayApplication {
    /// - Parameters:
    ///   - config: the loaded configuration.
    ///   - migrationsDirectory: where the numbered SQL files are; applied before the server starts.
    ///   - onServerRunning: called with the bound port once listening (tests bind port 0).
    ///   - now: the wall clock budget periods are computed with (tests move it).
    ///   - reloads: takes later configs (SIGHUP): new backends and model aliases, without a restart.
    public static func build(
        config: GatewayConfig,
        migrationsDirectory: URL,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        now: @escaping @Sendable () -> Date = { Date() },
        reloads: ConfigReloads = ConfigReloads()
    ) throws -> some ApplicationProtocol {
        let pool = PostgresPool(configuration: config.database.poolConfiguration, logger: logger)
        let redis = RedisClient(
            configuration: .init(
                url: try RedisURL(parsing: config.redis.url), maxQueued: config.redis.maxQueuedCommands,
                commandTimeout: .milliseconds(config.redis.commandTimeoutMs)
            ),
            logger: logger
        )
        let engine = CurlEngine(logger: logger)
        let metrics = GatewayMetrics()
        let fleet = Fleet(config: config.ollama, engine: engine, metrics: metrics, logger: logger)
        let backlog = UsageBacklog()
        let admission = Admission(redis: redis, pool: pool, config: config.limits, metrics: metrics, logger: logger, backlog: backlog, now: now)
        let catalog = ModelCatalog(config: config, fleet: fleet, logger: logger)
        // Opens (and locks) the usage journal and queues what an earlier process left there, before serving.
        let recorder = try UsageRecorder(
            pool: pool, config: config.usage, metrics: metrics, logger: logger, backlog: backlog, settle: { admission.settle($0, record: $1) },
            modelLabel: { catalog.knownName($0) }
        )
        reloads.attach(fleet: fleet, catalog: catalog)
        let migrator = try Migrator(pool: pool, directory: migrationsDirectory)
        let keyCache = KeyCache(limits: .init(
            keys: config.auth.keyCacheSize, unknownKeys: config.auth.negativeCacheSize,
            unknownKeyLifetime: .milliseconds(Int64(config.auth.negativeCacheTTLSeconds * 1000))
        ))
        let keyStore = KeyStore(pool: pool)
        let failedAuth = FailedAuthLimiter(limit: config.auth.failedAuthPerMinute, addresses: config.auth.failedAuthTrackedAddresses)
        let keyResolver = KeyResolver(store: keyStore, cache: keyCache, metrics: metrics, failures: failedAuth)
        let endUsers = EndUserCache(pool: pool, capacity: config.auth.endUserCacheSize)
        let keyEvents = KeyEvents(redis: redis, cache: keyCache, endUsers: endUsers, metrics: metrics, logger: logger)
        let keyChanges = RedisSubscriber(
            configuration: .init(url: try RedisURL(parsing: config.redis.url)), channels: [KeyCache.channel], logger: logger,
            onMessage: { _, message in
                keyCache.invalidate(message)
                endUsers.invalidate(message)
            },
            onConnectionChange: {
                keyCache.subscriptionChanged(isSubscribed: $0)
                endUsers.subscriptionChanged(isSubscribed: $0)
            }
        )
        let router = buildRouter(
            GatewayDependencies(
                config: config, keys: keyResolver, backend: fleet, models: catalog, limiter: admission, usage: recorder, metrics: metrics,
                remoteImages: RemoteImages(engine: engine, config: config.images), endUsers: endUsers,
                infrastructure: .init(
                    pool: pool, redis: redis, fleet: fleet, catalog: catalog, journal: recorder.journal, keyCache: keyCache, keyStore: keyStore,
                    keyEvents: keyEvents
                ),
                now: now
            )
        )
        let retention = UsageRetention(pool: pool, config: config.usage, responsesDays: config.responses.retentionDays, logger: logger, now: now)

        let deadlines = ClientDeadlines(config.server)
        let connections = ConnectionCounter(limit: config.server.maxConnections, metrics: metrics)
        var app = Application(
            router: router,
            server: .http1(additionalChannelHandlers: [
                ConnectionCloseWatcher(), ClientDeadlineInstaller(deadlines: deadlines, connections: connections, metrics: metrics),
            ]),
            configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "tollgate"),
            services: [pool, redis, keyChanges, engine, fleet, recorder, retention],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        app.beforeServerStarts {
            try await migrator.migrate(logger: logger)
            // The catalog and each backend's health are known before the gateway listens, so a fresh instance
            // never answers "model not found" for a model Ollama has (each call is bounded by probe_timeout_ms).
            async let listed: Void = fleet.discover()
            async let checked: Void = fleet.checkHealth()
            _ = await (listed, checked)
        }
        return app
    }
}
