import Locking
public import Logging
public import ServiceLifecycle

/// Ends what is still being served when the shutdown grace period (`server.shutdown_grace_s`) is over,
/// so the rest of the shutdown still runs in order.
///
/// On SIGTERM the HTTP server stops accepting and waits for its open requests, and only then do the
/// services behind it stop in reverse order: the usage recorder writes its queue while the PostgreSQL
/// pool is still open, then the clients close. Cancelling the whole application when the grace period
/// ran out would stop all of them at once: the pool closed under the recorder's last write (those
/// records waited in the journal for the next start) and the process exited 1. Instead, once the grace
/// period is over, this closes every client connection still open (``ConnectionCloseWatcher/closeAll()``).
/// Each request on them ends as if its client had hung up (its Ollama call is cancelled and its usage
/// recorded), the server finishes, and the ordered shutdown goes on.
///
/// Put it last in the service group: the group signals its services in reverse order, and waits for
/// each to return before signalling the next, so this one hears of the shutdown first and returns at
/// once, leaving its timer running. The timer is a ``SweepThread`` that fires once, so the cut comes on
/// time however busy the cooperative pool is.
public struct ShutdownGrace: Service {
    let grace: Duration
    let logger: Logger

    public init(grace: Duration, logger: Logger) {
        self.grace = grace
        self.logger = logger
    }

    public func run() async throws {
        // Returns when the graceful shutdown begins; throws if the service is cancelled instead.
        guard (try? await gracefulShutdown()) != nil else { return }
        let logger = self.logger
        // This service returns now, so that the group goes on to stop the server; the timer fires once.
        SweepThread.start(every: grace) {
            let closed = ConnectionCloseWatcher.closeAll()
            if closed > 0 {
                logger.warning("shutdown grace period over: closing the connections still open", metadata: ["connections": "\(closed)"])
            }
            return false
        }
    }
}
