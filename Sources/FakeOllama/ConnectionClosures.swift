import NIOCore
import Synchronization
import Locking

/// When the fake's client connections closed, so tests can check how fast a gateway hangs up on
/// Ollama after its own client left.
final class ConnectionClosures: Sendable {
    private let instants = Locked<[ContinuousClock.Instant]>([])

    func record() { instants.withLock { $0.append(.now) } }

    var all: [ContinuousClock.Instant] { instants.withLock { $0 } }
}

/// Notes the moment a connection's input ends (the server allows half-closure) or the connection drops.
final class ConnectionCloseRecorder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = Any
    typealias InboundOut = Any

    private let closures: ConnectionClosures
    private let recorded = Atomic<Bool>(false)

    init(closures: ConnectionClosures) { self.closures = closures }

    private func record() {
        if !recorded.exchange(true, ordering: .relaxed) { closures.record() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { record() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        record()
        context.fireChannelInactive()
    }
}
