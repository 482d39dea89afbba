import Foundation
import Redis

/// The key-change channel (`tollgate:keys:changed`) as Redis sees it.
enum KeyChannel {
    /// Waits until at least `count` gateways listen on the channel; false if not within `within`.
    ///
    /// A gateway trusts its key cache for long only while it is subscribed, and empties the cache when its
    /// subscription starts; a test that relies on a cached key must wait for this before caching it.
    static func waitForSubscribers(_ count: Int, redisURL: String, within: Duration) async -> Bool {
        guard let url = try? RedisURL(parsing: redisURL) else { return false }
        let client = RedisClient(configuration: .init(url: url, timeout: .seconds(1)), logger: TestServices.logger)
        defer { client.close() }
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            let reply = try? await client.send("PUBSUB", "NUMSUB", "tollgate:keys:changed")
            if let listening = reply?.array?.last?.integer, listening >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
