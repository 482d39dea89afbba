import NIOCore
import NIOHTTP1
import Synchronization

/// Why a connection was closed before its client was done.
enum ConnectionCloseReason: String, CaseIterable, Sendable {
    /// The request head was not complete `server.header_timeout_s` after its first byte.
    case headerTimeout = "header_timeout"
    /// The request body was not complete `server.body_timeout_s` after the head.
    case bodyTimeout = "body_timeout"
    /// No byte arrived for `server.keepalive_idle_timeout_s` while no request was in progress.
    case idleTimeout = "idle_timeout"
}

/// How long a client may take over each part of a request (`server.*_timeout_s`).
struct ClientDeadlines: Sendable {
    var header: TimeAmount
    var body: TimeAmount
    var idle: TimeAmount

    init(_ server: GatewayConfig.Server) {
        header = Self.amount(server.headerTimeoutSeconds)
        body = Self.amount(server.bodyTimeoutSeconds)
        idle = Self.amount(server.keepAliveIdleTimeoutSeconds)
    }

    private static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1_000_000_000)) }
}

/// Counts the open connections against `server.max_connections`, shared by every connection.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let metrics: GatewayMetrics
    private let open = Atomic<Int>(0)

    init(limit: Int, metrics: GatewayMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// Takes a place for a new connection; false (and counted as rejected) when all are taken.
    func admit() -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= limit else {
            open.wrappingSubtract(1, ordering: .relaxed)
            metrics.connectionRejected()
            return false
        }
        metrics.connectionsOpen(count)
        return true
    }

    func release() {
        metrics.connectionsOpen(open.wrappingSubtract(1, ordering: .relaxed).newValue)
    }
}

/// Closes a connection whose client is too slow, and refuses connections past the cap.
///
/// One per connection, right after NIO's HTTP/1 decoder (it sees request parts come in and response
/// parts go out), with a ``ClientBytesWatcher`` first in the pipeline to see raw bytes arrive; both are put
/// there by ``ClientDeadlineInstaller``. At any time at most one deadline runs:
/// - no request in progress (a new connection, or between requests): the idle deadline, restarted by
///   nothing; the first byte of a request ends it;
/// - from that first byte: the header deadline, for the whole head however the bytes trickle in;
/// - from the head: the body deadline, for the whole body (chunked or Content-Length);
/// - from the end of the body until the answer is written: none, so a long stream is never cut.
///
/// Past ``ConnectionCounter/limit`` open connections, a new one is closed as soon as it is accepted,
/// without an answer (cheaper than a 503 for a client that may be flooding). A request whose framing the
/// HTTP decoder refused is answered (400, see ``RequestIDMiddleware``) and the connection then closed.
final class ClientDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        case idle, head, body, answering
    }

    private let deadlines: ClientDeadlines
    private let connections: ConnectionCounter
    private let metrics: GatewayMetrics
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var phase = Phase.idle
    /// Requests whose answer has not been written to its end yet.
    private var answersOwed = 0
    /// Bytes of a next request arrived while the current one was still being answered.
    private var nextRequestStarted = false
    private var started = false
    private var counted = false
    private var closeAfterAnswer = false

    init(deadlines: ClientDeadlines, connections: ConnectionCounter, metrics: GatewayMetrics) {
        self.deadlines = deadlines
        self.connections = connections
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        if counted {
            counted = false
            connections.release()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            answersOwed += 1
            nextRequestStarted = false
            phase = .body
            arm(.bodyTimeout, after: deadlines.body)
        case .body:
            break
        case .end:
            if answersOwed == 0 { becomeIdle() } else { phase = .answering; cancelTimer() }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The decoder cannot find where the next request starts: answer this one, then hang up.
        if error is HTTPParserError { closeAfterAnswer = true }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        answersOwed = max(0, answersOwed - 1)
        if closeAfterAnswer {
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
            return
        }
        if answersOwed == 0 && phase == .answering { becomeIdle() }
        context.write(data, promise: promise)
    }

    /// Bytes arrived from the client (told by ``ClientBytesWatcher``, before they are decoded).
    fileprivate func bytesArrived() {
        switch phase {
        case .idle:
            phase = .head
            arm(.headerTimeout, after: deadlines.header)
        case .answering:
            nextRequestStarted = true
        case .head, .body:
            break
        }
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard connections.admit() else {
            context.close(promise: nil)
            return
        }
        counted = true
        becomeIdle()
    }

    private func becomeIdle() {
        if nextRequestStarted {
            nextRequestStarted = false
            phase = .head
            arm(.headerTimeout, after: deadlines.header)
        } else {
            phase = .idle
            arm(.idleTimeout, after: deadlines.idle)
        }
    }

    private func arm(_ reason: ConnectionCloseReason, after delay: TimeAmount) {
        cancelTimer()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timer = nil
            metrics.connectionClosed(reason)
            context.close(promise: nil)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

/// Put in the pipeline by Hummingbird (`additionalChannelHandlers`, after its HTTP types codec), it puts a
/// ``ClientDeadlineHandler`` next to NIO's HTTP/1 decoder and a ``ClientBytesWatcher`` first, then
/// leaves: the deadlines need the raw bytes and NIO's own request parts, which only those places see.
final class ClientDeadlineInstaller: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = Any

    private let deadlines: ClientDeadlines
    private let connections: ConnectionCounter
    private let metrics: GatewayMetrics

    init(deadlines: ClientDeadlines, connections: ConnectionCounter, metrics: GatewayMetrics) {
        self.deadlines = deadlines
        self.connections = connections
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        let handler = ClientDeadlineHandler(deadlines: deadlines, connections: connections, metrics: metrics)
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(handler, position: .after(decoder))
            try pipeline.addHandler(ClientBytesWatcher(owner: handler), position: .first)
        } catch {
            // Not an HTTP/1 pipeline: nothing to watch.
        }
        pipeline.removeHandler(context: context, promise: nil)
    }
}

/// First in a connection's pipeline: tells its ``ClientDeadlineHandler`` when bytes arrive, so a request
/// head's deadline starts at its first byte rather than once the decoder has the whole head.
private final class ClientBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let owner: ClientDeadlineHandler

    init(owner: ClientDeadlineHandler) { self.owner = owner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived()
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension ClientDeadlineHandler: Sendable {}
