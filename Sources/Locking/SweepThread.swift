#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of its own that runs a sweep at a fixed interval: for deadlines that must fire on time even
/// when Swift's cooperative pool is busy or blocked.
///
/// A sweeper task on the pool (`Task.sleep` in a loop) wakes only when a pool thread is free to run it, so
/// under a saturated pool the waits it is meant to end would end late. A plain thread is scheduled by the
/// kernel like any other, whatever the pool is doing. The sweep must be short and must not block.
///
/// ```swift
/// SweepThread.start(every: .milliseconds(250)) {
///     guard !queue.isClosed else { return false }   // false stops the thread
///     queue.failExpired()
///     return true
/// }
/// ```
public enum SweepThread {
    /// Starts a detached thread that calls `sweep` every `interval` until `sweep` returns false.
    public static func start(every interval: Duration, _ sweep: @escaping @Sendable () -> Bool) {
        let job = Unmanaged.passRetained(Job(interval: interval, sweep: sweep)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let code = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, job)
        precondition(code == 0, "pthread_create failed (\(code))")
        #if canImport(Darwin)
        if let thread { pthread_detach(thread) }
        #else
        pthread_detach(thread)
        #endif
    }

    private final class Job {
        let interval: Duration
        let sweep: @Sendable () -> Bool

        init(interval: Duration, sweep: @escaping @Sendable () -> Bool) {
            self.interval = interval
            self.sweep = sweep
        }

        func run() {
            let (seconds, attoseconds) = interval.components
            let period = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            repeat {
                // A signal cuts the sleep short: sleep what is left of it.
                var pause = period
                var left = timespec()
                while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
            } while sweep()
        }
    }
}
