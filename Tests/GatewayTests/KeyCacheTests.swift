import Foundation
import Testing
@testable import Gateway

@Suite("Key cache bounds")
struct KeyCacheTests {
    static func key(_ hash: String) -> VirtualKey {
        VirtualKey(id: hash, keyHash: hash, display: "sk-…", models: [], spendMicros: 0, blocked: false, metadataJSON: "{}")
    }

    static func subscribedCache(_ limits: KeyCache.Limits) -> KeyCache {
        let cache = KeyCache(limits: limits)
        cache.subscriptionChanged(isSubscribed: true)
        return cache
    }

    /// Stores `key` (nil: unknown) as a lookup miss would.
    static func fill(_ cache: KeyCache, _ hash: String, _ key: VirtualKey?) {
        guard case .miss(let generation) = cache.lookup(hash) else { return }
        cache.store(key, for: hash, generation: generation)
    }

    @Test("25,000 distinct unknown keys: the negative cache holds its cap, and known keys are not pushed out")
    func negativeCap() {
        let cache = Self.subscribedCache(.init(keys: 100, unknownKeys: 10_000))
        Self.fill(cache, "known", Self.key("known"))
        for _ in 0..<25_000 { Self.fill(cache, UUID().uuidString, nil) }
        #expect(cache.counts.unknown == 10_000)
        #expect(cache.counts.known == 1)
        guard case .hit(let key) = cache.lookup("known") else {
            Issue.record("a flood of unknown keys evicted a known one")
            return
        }
        #expect(key?.id == "known")
    }

    @Test("Known keys past the cap: the least recently used go first")
    func positiveCap() {
        let cache = Self.subscribedCache(.init(keys: 3, unknownKeys: 3))
        for hash in ["a", "b", "c"] { Self.fill(cache, hash, Self.key(hash)) }
        _ = cache.lookup("a")  // a is in use
        Self.fill(cache, "d", Self.key("d"))
        #expect(cache.counts.known == 3)
        if case .miss = cache.lookup("a") { Issue.record("the key in use was evicted") }
        if case .miss = cache.lookup("d") { Issue.record("the newest key was not kept") }
    }

    @Test("Unknown keys are forgotten after their lifetime")
    func negativeLifetime() async throws {
        let cache = Self.subscribedCache(.init(keys: 3, unknownKeys: 3, unknownKeyLifetime: .milliseconds(100)))
        Self.fill(cache, "nope", nil)
        guard case .hit(nil) = cache.lookup("nope") else {
            Issue.record("an unknown key was not remembered")
            return
        }
        try await Task.sleep(for: .milliseconds(150))
        guard case .miss = cache.lookup("nope") else {
            Issue.record("an unknown key was remembered past its lifetime")
            return
        }
    }

    @Test("A change notice for a hash clears its negative entry (a key created with it works at once)")
    func creationClearsNegativeEntry() {
        let cache = Self.subscribedCache(.init())
        Self.fill(cache, "new", nil)
        cache.invalidate("new")
        guard case .miss = cache.lookup("new") else {
            Issue.record("the negative entry survived the change notice")
            return
        }
    }

    @Test("Without the subscription, entries are trusted for about a second; losing or regaining it empties the cache")
    func unsubscribedTrust() async throws {
        let cache = KeyCache()
        Self.fill(cache, "a", Self.key("a"))
        guard case .hit = cache.lookup("a") else {
            Issue.record("a fresh entry was not used while unsubscribed")
            return
        }
        try await Task.sleep(for: KeyCache.unsubscribedMaxAge + .milliseconds(100))
        guard case .miss = cache.lookup("a") else {
            Issue.record("an entry older than unsubscribedMaxAge was trusted while unsubscribed")
            return
        }
        Self.fill(cache, "b", Self.key("b"))
        cache.subscriptionChanged(isSubscribed: true)
        #expect(cache.counts.known == 0)
        Self.fill(cache, "c", Self.key("c"))
        cache.subscriptionChanged(isSubscribed: false)
        #expect(cache.counts.known == 0)
    }

    @Test("A read that raced a change notice is not cached")
    func racedRead() {
        let cache = Self.subscribedCache(.init())
        guard case .miss(let generation) = cache.lookup("a") else { return }
        cache.invalidate("a")
        cache.store(Self.key("a"), for: "a", generation: generation)
        #expect(cache.counts.known == 0)
    }

    @Test("A team notice drops exactly the keys of that team")
    func teamNotice() throws {
        let cache = Self.subscribedCache(.init())
        func member(_ hash: String, team: String) throws -> VirtualKey {
            var key = Self.key(hash)
            key.team = try #require(TeamSettings(row: ["team_id": team, "models": [String](), "blocked": false]))
            return key
        }
        Self.fill(cache, "a1", try member("a1", team: "a"))
        Self.fill(cache, "a2", try member("a2", team: "a"))
        Self.fill(cache, "b1", try member("b1", team: "b"))
        Self.fill(cache, "solo", Self.key("solo"))
        cache.invalidate(KeyCache.teamPrefix + "a")
        for (hash, cached) in [("a1", false), ("a2", false), ("b1", true), ("solo", true)] {
            if case .hit = cache.lookup(hash) { #expect(cached, "\(hash) should have been dropped") } else { #expect(!cached, "\(hash) should still be cached") }
        }
        #expect(cache.counts.known == 2)
    }
}

@Suite("Clock cache")
struct ClockCacheTests {
    @Test("Never holds more than its capacity; removed slots are reused")
    func capacity() {
        var cache = ClockCache<Int>(capacity: 4)
        for index in 0..<1_000 { cache.set(index, for: "k\(index)") }
        #expect(cache.count == 4)
        cache.remove("k999")
        #expect(cache.count == 3)
        cache.set(1, for: "x")
        #expect(cache.count == 4)
        #expect(cache.value(for: "x") == 1)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.value(for: "x") == nil)
    }
}

@Suite("Failed authentication limiter")
struct FailedAuthCounterTests {
    @Test("An address is refused after `limit` failures in a minute, others are not, and the window ends")
    func threshold() {
        var counter = FailedAuthCounter(limit: 3, addresses: 100)
        let start = ContinuousClock.now
        for _ in 0..<3 {
            #expect(counter.retryAfter("10.0.0.1", now: start) == nil)
            counter.failed("10.0.0.1", now: start)
        }
        let wait = counter.retryAfter("10.0.0.1", now: start + .seconds(10))
        #expect(wait == .seconds(50))
        #expect(counter.retryAfter("10.0.0.2", now: start + .seconds(10)) == nil, "another address was refused")
        #expect(counter.retryAfter("10.0.0.1", now: start + .seconds(61)) == nil, "the window did not end")
    }

    @Test("Tracked addresses stay at the cap under a flood of addresses")
    func boundedState() {
        var counter = FailedAuthCounter(limit: 3, addresses: 50)
        let now = ContinuousClock.now
        for index in 0..<10_000 { counter.failed("10.\(index / 65536).\(index / 256 % 256).\(index % 256)", now: now) }
        #expect(counter.trackedAddresses == 50)
    }

    @Test("Limit 0 turns the limiter off")
    func off() {
        var counter = FailedAuthCounter(limit: 0, addresses: 10)
        let now = ContinuousClock.now
        for _ in 0..<100 { counter.failed("a", now: now) }
        #expect(counter.retryAfter("a", now: now) == nil)
    }
}

