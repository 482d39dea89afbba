import Postgres
import Locking

/// Each process's cache of end-user settings by id, kept honest by the same Redis channel as ``KeyCache``.
///
/// An end user is looked up on the request path the first time it is seen (one PostgreSQL read by primary
/// key); the answer, including "no settings", is kept in a bounded ``ClockCache`` (``capacity`` entries,
/// least recently used evicted first). `/customer/*` changes publish `end_user:<id>` on ``KeyCache/channel``,
/// which drops the entry on every gateway. Like the key cache, entries are trusted fully only while the
/// subscription is up; otherwise for ``KeyCache/unsubscribedMaxAge``.
final class EndUserCache: Sendable {
    /// The message that drops one end user: this prefix and the end user's id.
    static let prefix = "end_user:"

    private struct Entry {
        var settings: EndUserSettings?  // nil: the end user has no settings
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: ClockCache<Entry>
        var isSubscribed = false
        var generation: UInt64 = 0
    }

    let capacity: Int
    private let pool: PostgresPool
    private let state: Locked<State>

    init(pool: PostgresPool, capacity: Int) {
        self.pool = pool
        self.capacity = capacity
        self.state = Locked(State(entries: ClockCache(capacity: capacity)))
    }

    /// The settings of end user `id` (nil when it has none): from the cache, or PostgreSQL on a miss.
    func settings(for id: String) async throws -> EndUserSettings? {
        enum Lookup { case hit(EndUserSettings?), miss(generation: UInt64) }
        let lookup = state.withLock { state -> Lookup in
            let trusted = state.isSubscribed ? KeyCache.maxAge : KeyCache.unsubscribedMaxAge
            if let entry = state.entries.value(for: id) {
                if entry.storedAt.duration(to: .now) < trusted { return .hit(entry.settings) }
                state.entries.remove(id)
            }
            return .miss(generation: state.generation)
        }
        let generation: UInt64
        switch lookup {
        case .hit(let settings): return settings
        case .miss(let current): generation = current
        }
        let rows = try await pool.query("SELECT row_to_json(e)::text AS row FROM end_users e WHERE user_id = $1", [.text(id)])
        let settings = rows.value(0, "row").flatMap { JSONText.decode($0) as? [String: Any] }.flatMap(EndUserSettings.init(row:))
        state.withLock { state in
            guard state.generation == generation else { return }
            state.entries.set(Entry(settings: settings, storedAt: .now), for: id)
        }
        return settings
    }

    /// Applies a change notice from ``KeyCache/channel``: `end_user:<id>` or ``KeyCache/everything``; others are ignored.
    func invalidate(_ message: String) {
        guard message == KeyCache.everything || message.hasPrefix(Self.prefix) else { return }
        state.withLock { state in
            state.generation &+= 1
            if message == KeyCache.everything {
                state.entries.removeAll()
            } else {
                state.entries.remove(String(message.dropFirst(Self.prefix.count)))
            }
        }
    }

    /// The subscriber's state: losing or regaining it empties the cache (notices may have been missed).
    func subscriptionChanged(isSubscribed: Bool) {
        state.withLock { state in
            state.isSubscribed = isSubscribed
            state.generation &+= 1
            state.entries.removeAll()
        }
    }

    /// Entries held now (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
