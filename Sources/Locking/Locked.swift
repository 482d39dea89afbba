#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// A value behind a lock: ``withLock(_:)`` gives one caller at a time `inout` access to it.
///
/// Tollgate's one lock type, used instead of `Synchronization.Mutex`. That one takes a contended lock on
/// Linux in the kernel (`FUTEX_LOCK_PI`, inside the uninstrumented standard library), so ThreadSanitizer
/// never sees the acquire and reports every access after a contended lock as a data race, which made
/// `scripts/tsan.sh` useless as a guard. This is a `pthread_mutex_t`, which ThreadSanitizer intercepts;
/// its waiters sleep in the kernel instead of spinning, which is also what a 2-core box wants.
///
/// ```swift
/// private let state = Locked(State())
/// let depth = state.withLock { $0.queue.count }
/// ```
public final class Locked<State>: @unchecked Sendable {
    // Unchecked: `state` is only touched inside `withLock`, with `mutex` held.
    //
    // Both live in memory of their own rather than in stored properties: the lock already guarantees
    // exclusive access, so the runtime's dynamic exclusivity check on a class's `var` (a
    // `swift_beginAccess` and its bookkeeping on every lock) would only repeat it, on the hottest path there
    // is. Inlinable, so callers get `withLock` specialized to their own `State` and closure.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let state: UnsafeMutablePointer<State>

    public init(_ state: State) {
        self.state = .allocate(capacity: 1)
        self.state.initialize(to: state)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let code = pthread_mutex_init(mutex, nil)
        precondition(code == 0, "pthread_mutex_init failed (\(code))")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Runs `body` with the lock held and the value lent to it. `body` must not call back into this lock.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state.pointee)
    }
}
