import Foundation
import Synchronization

/// Each process's cache of virtual keys by hash, kept honest by Redis.
///
/// Every admin change publishes the key's hash on ``KeyCache/channel``; each gateway's subscriber drops
/// that entry at once, so a revoked key fails everywhere within the publish latency. The cache trusts
/// itself only while that subscription is up: when it drops (Redis down, reconnecting), everything
/// cached is discarded and lookups go to PostgreSQL until it is back, because a revocation may have
/// been missed. Entries also expire after ``maxAge`` as a last safety net.
final class KeyCache: Sendable {
    static let channel = "tollgate:keys:changed"
    /// The message that clears every entry (a user deleted, say).
    static let everything = "*"
    static let maxAge: Duration = .seconds(300)

    private struct Entry {
        var key: VirtualKey?      // nil: no such key (negative entry)
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var isSubscribed = false
        /// Bumped by every invalidation, so a PostgreSQL read that raced a change is not cached.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// What the cache knows about `hash`.
    enum Lookup {
        /// The cached answer (nil: a cached "no such key").
        case hit(VirtualKey?)
        /// Ask PostgreSQL, then ``store(_:for:generation:)`` the answer with this generation.
        case miss(generation: UInt64)
    }

    func lookup(_ hash: String) -> Lookup {
        state.withLock { state in
            guard state.isSubscribed, let entry = state.entries[hash] else { return .miss(generation: state.generation) }
            guard entry.storedAt.duration(to: .now) < Self.maxAge else {
                state.entries[hash] = nil
                return .miss(generation: state.generation)
            }
            return .hit(entry.key)
        }
    }

    /// Remembers what PostgreSQL said about `hash`, unless the cache is untrusted right now or a change
    /// notice arrived since the lookup that started the read (the answer may then be stale).
    func store(_ key: VirtualKey?, for hash: String, generation: UInt64) {
        state.withLock { state in
            guard state.isSubscribed, state.generation == generation else { return }
            state.entries[hash] = Entry(key: key, storedAt: .now)
        }
    }

    /// Applies a change notice: one hash, or ``everything``.
    func invalidate(_ message: String) {
        state.withLock { state in
            state.generation &+= 1
            if message == Self.everything { state.entries.removeAll() } else { state.entries[message] = nil }
        }
    }

    /// The subscriber's state; any change empties the cache.
    func subscriptionChanged(isSubscribed: Bool) {
        state.withLock { state in
            state.isSubscribed = isSubscribed
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
