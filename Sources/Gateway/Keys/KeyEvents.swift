import Logging
import Redis

/// Tells every gateway sharing the Redis that a key changed, so each drops it from its cache now.
struct KeyEvents: Sendable {
    let redis: RedisClient
    let cache: KeyCache
    let metrics: GatewayMetrics
    let logger: Logger

    /// Publishes `hashes` (or ``KeyCache/everything``) on the change channel, and applies them locally
    /// first so this instance never waits on its own subscription.
    func changed(_ hashes: [String]) async {
        for hash in hashes {
            cache.invalidate(hash)
            do {
                try await redis.send("PUBLISH", KeyCache.channel, hash)
            } catch {
                metrics.redisFailed()
                // Other instances whose subscription is also down read PostgreSQL directly; one whose
                // subscription is up still drops its cache within KeyCache.maxAge.
                logger.error("cannot publish key change", metadata: ["error": "\(error)"])
            }
        }
    }
}
