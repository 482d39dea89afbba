import Locking

/// Counts invalid keys per client address and refuses an address that presented too many in a minute,
/// before its next key costs a cache entry or a PostgreSQL query.
///
/// Each address has a one-minute window that starts at its first failure; `limit` failures in it and
/// the address is refused until the window ends. The addresses tracked are bounded (``ClockCache``): when
/// full, the least recently seen address is forgotten, which at worst gives it a fresh window.
struct FailedAuthCounter {
    static let window: Duration = .seconds(60)

    private struct Window {
        var start: ContinuousClock.Instant
        var failures: Int
    }

    let limit: Int
    private var windows: ClockCache<Window>

    init(limit: Int, addresses: Int) {
        self.limit = limit
        self.windows = ClockCache(capacity: addresses)
    }

    /// Addresses tracked now; never more than the capacity.
    var trackedAddresses: Int { windows.count }

    /// How long `address` must wait before trying again, or nil when it may try now.
    mutating func retryAfter(_ address: String, now: ContinuousClock.Instant) -> Duration? {
        guard limit > 0, let window = windows.value(for: address) else { return nil }
        let elapsed = window.start.duration(to: now)
        if elapsed >= Self.window {
            windows.remove(address)
            return nil
        }
        return window.failures >= limit ? Self.window - elapsed : nil
    }

    /// Counts one invalid key from `address`.
    mutating func failed(_ address: String, now: ContinuousClock.Instant) {
        guard limit > 0 else { return }
        if var window = windows.value(for: address), window.start.duration(to: now) < Self.window {
            window.failures += 1
            windows.set(window, for: address)
        } else {
            windows.set(Window(start: now, failures: 1), for: address)
        }
    }
}

/// ``FailedAuthCounter`` behind a lock, shared by every request of the process.
final class FailedAuthLimiter: Sendable {
    private let counter: Locked<FailedAuthCounter>

    init(limit: Int, addresses: Int) {
        counter = Locked(FailedAuthCounter(limit: limit, addresses: addresses))
    }

    func retryAfter(_ address: String) -> Duration? {
        counter.withLock { $0.retryAfter(address, now: .now) }
    }

    func failed(_ address: String) {
        counter.withLock { $0.failed(address, now: .now) }
    }
}
