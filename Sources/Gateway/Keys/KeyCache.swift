import Foundation
import Locking

/// Each process's cache of virtual keys by hash, kept honest by Redis.
///
/// Every admin change publishes the key's hash on ``KeyCache/channel``; each gateway's subscriber drops
/// that entry at once, so a revoked key fails everywhere within the publish latency. The cache trusts
/// itself fully only while that subscription is up. When it drops (Redis down, reconnecting) and again
/// when it is back, everything cached is discarded, because a change may have been missed; while it is
/// down, an entry is used only within ``unsubscribedMaxAge`` of being read from PostgreSQL. Entries also
/// expire after ``maxAge`` as a last safety net.
///
/// Both halves are bounded: known keys (``Limits/keys``, least recently used evicted first) and unknown
/// ones (``Limits/unknownKeys``, remembered for ``Limits/unknownKeyLifetime``), so a flood of made-up keys
/// costs neither memory nor one PostgreSQL query each.
final class KeyCache: Sendable {
    static let channel = "tollgate:keys:changed"
    /// The message that clears every entry (a user deleted, say).
    static let everything = "*"
    /// The message that drops every key of one team (the team changed): this prefix and the team's id.
    static let teamPrefix = "team:"
    static let maxAge: Duration = .seconds(300)
    /// How long an entry read while the subscription is down may be used: a change published meanwhile
    /// cannot reach this process, so it must see PostgreSQL's answer this often.
    static let unsubscribedMaxAge: Duration = .seconds(1)

    struct Limits: Sendable {
        var keys = 10_000
        var unknownKeys = 10_000
        var unknownKeyLifetime: Duration = .seconds(30)
    }

    private struct Entry {
        var key: VirtualKey?      // nil: no such key (negative entry)
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var known: ClockCache<Entry>
        var unknown: ClockCache<Entry>
        var isSubscribed = false
        /// Bumped by every invalidation, so a PostgreSQL read that raced a change is not cached.
        var generation: UInt64 = 0
    }

    let limits: Limits
    private let state: Locked<State>

    init(limits: Limits = Limits()) {
        self.limits = limits
        self.state = Locked(State(known: ClockCache(capacity: limits.keys), unknown: ClockCache(capacity: limits.unknownKeys)))
    }

    /// What the cache knows about `hash`.
    enum Lookup {
        /// The cached answer (nil: a cached "no such key").
        case hit(VirtualKey?)
        /// Ask PostgreSQL, then ``store(_:for:generation:)`` the answer with this generation.
        case miss(generation: UInt64)
    }

    func lookup(_ hash: String) -> Lookup {
        state.withLock { state in
            let trusted = state.isSubscribed ? Self.maxAge : Self.unsubscribedMaxAge
            if let entry = state.known.value(for: hash) {
                if entry.storedAt.duration(to: .now) < trusted { return .hit(entry.key) }
                state.known.remove(hash)
            } else if let entry = state.unknown.value(for: hash) {
                if entry.storedAt.duration(to: .now) < min(trusted, limits.unknownKeyLifetime) { return .hit(nil) }
                state.unknown.remove(hash)
            }
            return .miss(generation: state.generation)
        }
    }

    /// Remembers what PostgreSQL said about `hash`, unless a change notice or a subscription change
    /// arrived since the lookup that started the read (the answer may then be stale).
    func store(_ key: VirtualKey?, for hash: String, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            let entry = Entry(key: key, storedAt: .now)
            if key == nil { state.unknown.set(entry, for: hash) } else { state.known.set(entry, for: hash) }
        }
    }

    /// Applies a change notice: one hash, a team (``teamPrefix`` and its id), or ``everything``.
    func invalidate(_ message: String) {
        state.withLock { state in
            state.generation &+= 1
            if message == Self.everything {
                state.known.removeAll()
                state.unknown.removeAll()
            } else if message.hasPrefix(Self.teamPrefix) {
                let team = message.dropFirst(Self.teamPrefix.count)
                state.known.removeAll { $0.key?.team.map { $0.id == team } ?? false }
            } else {
                state.known.remove(message)
                state.unknown.remove(message)
            }
        }
    }

    /// The subscriber's state. Losing it and regaining it both empty the cache: notices published while
    /// it was down were missed, and entries read meanwhile may predate them.
    func subscriptionChanged(isSubscribed: Bool) {
        state.withLock { state in
            state.isSubscribed = isSubscribed
            state.generation &+= 1
            state.known.removeAll()
            state.unknown.removeAll()
        }
    }

    /// Entries held now: known keys and unknown ones (for the metrics and tests).
    var counts: (known: Int, unknown: Int) {
        state.withLock { ($0.known.count, $0.unknown.count) }
    }
}

extension KeyCache: ScrapeTimeGauges {
    /// How many keys (and unknown keys) the process caches now.
    func updateGauges(_ metrics: GatewayMetrics) { metrics.keyCache(counts) }
}
