import NIOCore
import Synchronization
import Locking

/// Tells a streaming route the moment its client's connection closes, instead of at its next write.
///
/// One per connection, in the channel pipeline. The server allows half-closure, so a client that goes
/// away shows up as `inputClosed` (or, on a reset, as the channel going inactive); both run the
/// callbacks registered for the request in flight. A stream that waits minutes for Ollama to read a
/// long prompt would otherwise keep the GPU busy for a client that is long gone.
///
/// A request finds its connection's watcher through ``watching`` (``Channel/closeWatcher``), without a
/// trip to the channel's event loop: every request asks, so that trip would cost two thread hand-offs each.
/// An entry lives from the handler's installation to its removal when the connection closes, so the table
/// holds one entry per open connection (bounded by `server.max_connections`).
final class ConnectionCloseWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = Any
    typealias InboundOut = Any

    /// An open connection: its watcher, and its channel for ``closeAll()``.
    private struct Watched {
        let watcher: ConnectionCloseWatcher
        let channel: any Channel
    }

    /// The open connections, by channel.
    private static let watching = Locked<[ObjectIdentifier: Watched]>([:])

    /// The watcher installed on `channel`, if any.
    static func of(_ channel: any Channel) -> ConnectionCloseWatcher? {
        watching.withLock { $0[ObjectIdentifier(channel)]?.watcher }
    }

    /// How many connections have a watcher now.
    static var openCount: Int { watching.withLock { $0.count } }

    /// Closes every connection that has a watcher (each one's callbacks then run, as on a hang-up, so
    /// the requests on them end and are recorded); returns how many there were. For the end of the
    /// shutdown grace period (``ShutdownGrace``): it closes the connections of every server in the process.
    @discardableResult
    static func closeAll() -> Int {
        let channels = watching.withLock { $0.values.map(\.channel) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let watched = Watched(watcher: self, channel: context.channel)
        Self.watching.withLock { $0[ObjectIdentifier(watched.channel)] = watched }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        Self.watching.withLock { watching in
            if watching[id]?.watcher === self { watching[id] = nil }
        }
    }

    private struct State {
        var closed = false
        var nextToken = 0
        var callbacks: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Locked(State())

    /// Runs `callback` once when the client's side closes (at once if it already has). Returns a token for
    /// ``cancel(_:)``.
    func whenClosed(_ callback: @escaping @Sendable () -> Void) -> Int {
        let (token, closed) = state.withLock { state -> (Int, Bool) in
            guard !state.closed else { return (-1, true) }
            state.nextToken += 1
            state.callbacks[state.nextToken] = callback
            return (state.nextToken, false)
        }
        if closed { callback() }
        return token
    }

    func cancel(_ token: Int) {
        _ = state.withLock { $0.callbacks.removeValue(forKey: token) }
    }

    private func fire() {
        let callbacks = state.withLock { state in
            state.closed = true
            defer { state.callbacks = [:] }
            return Array(state.callbacks.values)
        }
        for callback in callbacks { callback() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { fire() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fire()
        context.fireChannelInactive()
    }
}

extension Channel {
    /// This connection's ``ConnectionCloseWatcher``, if the server installed one.
    var closeWatcher: ConnectionCloseWatcher? { ConnectionCloseWatcher.of(self) }
}

/// Set once, read from anywhere: whether a connection-close callback ran.
final class ClosedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
