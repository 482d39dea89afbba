import Dialects
import Foundation
import Hummingbird

extension GatewayApplication {
    /// Every route and middleware of the gateway, over `dependencies`: what ``build(config:migrationsDirectory:logger:onServerRunning:now:reloads:)``
    /// serves with the real parts, and what router tests drive with in-memory ones.
    static func buildRouter(_ dependencies: GatewayDependencies) -> Router<GatewayRequestContext> {
        let config = dependencies.config
        let masterKey = Array(config.masterKey.utf8)
        let infrastructure = dependencies.infrastructure
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        if let infrastructure {
            let (fleet, metrics) = (infrastructure.fleet, dependencies.metrics)
            let health = HealthRoutes(
                pool: infrastructure.pool, redis: infrastructure.redis, fleet: fleet, metrics: metrics, journal: infrastructure.journal
            )
            router.get("health/live", use: health.live)
            router.get("health/ready", use: health.ready)
            router.get("metrics", use: MetricsRoute(metrics: metrics, gauges: [fleet, infrastructure.keyCache]).handle)
        }

        let calls = ModelCalls(
            fleet: dependencies.backend, catalog: dependencies.models, recorder: dependencies.usage, admission: dependencies.limiter,
            metrics: dependencies.metrics, maxBodyBytes: config.server.maxBodyBytes, payloads: PayloadPolicy(config: config.usage),
            keepAliveInterval: .milliseconds(config.server.streamKeepAliveMs), headGrace: .milliseconds(config.server.streamHeadGraceMs),
            remoteImages: dependencies.remoteImages, endUsers: dependencies.endUsers
        )
        let authenticator = KeyAuthenticator(
            masterKey: masterKey, keys: dependencies.keys, metrics: dependencies.metrics, trustEndUserHeaders: config.auth.trustEndUserHeaders
        )
        let v1 = router.group("v1")
            .add(middleware: authenticator)
            .post("chat/completions", use: calls.handler(ChatCompletionsRoute()))
            .post("messages", use: calls.handler(AnthropicMessagesRoute()))
            .post("messages/count_tokens", use: AnthropicCountTokensRoute(calls: calls).handle)
            .post("completions", use: calls.handler(OpenAICompletionsRoute()))
            .post("embeddings", use: calls.handler(OpenAIEmbeddingsRoute()))
        if let infrastructure {
            let responsesStore = ResponsesStore(pool: infrastructure.pool, maxBytes: config.responses.maxStoredBytes)
            let storedResponses = ResponsesStoredRoutes(store: responsesStore)
            let models = ModelsRoute(catalog: infrastructure.catalog)
            v1.post("responses", use: calls.handler(ResponsesRoute(store: responsesStore)))
                .get("responses/:id", use: storedResponses.retrieve)
                .delete("responses/:id", use: storedResponses.delete)
                .get("responses/:id/input_items", use: storedResponses.inputItems)
                .get("models", use: models.list)
                .get("models/**", use: models.retrieve)
        }

        let native = infrastructure.map { OllamaNativeRoutes(calls: calls, fleet: $0.fleet, catalog: $0.catalog) }
        router.get("/", use: OllamaNativeRoutes.root)
        router.head("/", use: OllamaNativeRoutes.root)
        if let native { router.get("api/version", use: native.version) }
        let api = router.group("api")
            .add(middleware: authenticator)
            .post("chat", use: calls.handler(OllamaGenerationRoute(endpoint: "/api/chat", decoder: NativeChatDecoder())))
            .post("generate", use: calls.handler(OllamaGenerationRoute(endpoint: "/api/generate", decoder: NativeGenerateDecoder())))
            .post("embed", use: calls.handler(OllamaEmbeddingRoute(endpoint: "/api/embed")))
            .post("embeddings", use: calls.handler(OllamaEmbeddingRoute(endpoint: "/api/embeddings")))
        if let native {
            api.post("show", use: native.show)
                .get("tags", use: native.tags)
                .head("tags", use: native.tags)
                .get("ps", use: native.running)
        }

        if let infrastructure { addAdminRoutes(to: router, dependencies, infrastructure, masterKey: masterKey) }
        return router
    }

    /// The admin API (master key only) and, when enabled, the dashboard.
    private static func addAdminRoutes(
        to router: Router<GatewayRequestContext>, _ dependencies: GatewayDependencies, _ infrastructure: GatewayDependencies.Infrastructure,
        masterKey: [UInt8]
    ) {
        let (config, now, catalog, keyStore) = (dependencies.config, dependencies.now, infrastructure.catalog, infrastructure.keyStore)
        let admin = router.group().add(middleware: AdminAuthenticator(masterKey: masterKey, keys: dependencies.keys))
        let adminServices = AdminServices(store: keyStore, events: infrastructure.keyEvents, catalog: catalog, now: now)
        adminServices.register(on: admin, maxBodyBytes: config.server.maxBodyBytes)
        admin.get("audit/log", use: AuditRoutes(store: keyStore).log)
        let usageStore = UsageStore(pool: infrastructure.pool)
        admin.get("spend/logs", use: UsageSpendLogRoutes(store: usageStore).logs)
        admin.get("usage", use: UsageReportRoutes(store: usageStore, catalog: catalog, now: now).usage)
        UsageDailyActivityRoutes(store: usageStore, catalog: catalog, now: now).register(on: admin)
        if config.ui.enabled {
            DashboardRoutes(
                sessions: UISessionStore(
                    redis: infrastructure.redis, ttlSeconds: config.ui.sessionTTLSeconds, maxSessions: config.ui.maxSessions, now: now
                ),
                masterKey: masterKey, failures: dependencies.keys.failures, admin: adminServices, keyStore: keyStore,
                logs: UsageSpendLogRoutes(store: usageStore), usage: UsageReportRoutes(store: usageStore, catalog: catalog, now: now),
                usageStore: usageStore, fleet: infrastructure.fleet, settings: config.ui, now: now
            ).register(on: router)
        }
    }
}
