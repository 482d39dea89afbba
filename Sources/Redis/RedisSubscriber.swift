import Foundation
public import Logging
public import ServiceLifecycle
import Locking

/// Listens on Redis pub/sub channels on a dedicated thread with its own connection.
///
/// Messages are handed to `onMessage` on that thread. Whenever the subscription is (re)established or
/// lost, `onConnectionChange` is told (once per change, not per failed reconnection attempt), so a cache
/// fed by the channel can distrust itself while messages may have been missed. A lost connection is
/// retried every 250 ms until ``close()``, each attempt bounded by the configuration's timeout.
public final class RedisSubscriber: Sendable {
    public typealias MessageHandler = @Sendable (_ channel: String, _ message: String) -> Void
    public typealias ConnectionHandler = @Sendable (_ isSubscribed: Bool) -> Void

    private let control: Control

    public init(
        configuration: RedisClient.Configuration,
        channels: [String],
        logger: Logger,
        onMessage: @escaping MessageHandler,
        onConnectionChange: @escaping ConnectionHandler
    ) {
        let control = Control()
        self.control = control
        let thread = Thread {
            Self.listen(configuration: configuration, channels: channels, control: control, logger: logger, onMessage: onMessage, onConnectionChange: onConnectionChange)
        }
        thread.name = "tollgate-redis-sub"
        thread.start()
    }

    /// Stops listening: interrupts the blocking read and ends the thread.
    public func close() {
        control.close()
    }

    private static func listen(
        configuration: RedisClient.Configuration, channels: [String], control: Control, logger: Logger,
        onMessage: MessageHandler, onConnectionChange: ConnectionHandler
    ) {
        var subscribed = false
        while !control.isClosed {
            do {
                let connection = try RedisConnection(url: configuration.url, timeout: configuration.timeout)
                connection.append(["SUBSCRIBE"] + channels)
                for _ in channels { _ = try connection.readReply() }
                connection.waitForeverOnReads()
                guard control.attach(connection.fileDescriptor) else { return }
                subscribed = true
                onConnectionChange(true)
                logger.debug("redis subscription active", metadata: ["channels": "\(channels)"])
                while true {
                    let reply = try connection.readReply()
                    if case .array(let parts) = reply, parts.count == 3, parts[0].string == "message",
                        let channel = parts[1].string, let message = parts[2].string
                    {
                        onMessage(channel, message)
                    }
                }
            } catch {
                control.detach()
                if control.isClosed {
                    onConnectionChange(false)
                    return
                }
                if subscribed {
                    subscribed = false
                    onConnectionChange(false)
                    logger.warning("redis subscription lost; retrying", metadata: ["error": "\(error)"])
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
    }

    /// The subscriber's shared flags: whether it is closed, and the socket to shut to interrupt it.
    private final class Control: Sendable {
        private struct State {
            var isClosed = false
            var descriptor: Int32?
        }

        private let state = Locked(State())

        var isClosed: Bool { state.withLock { $0.isClosed } }

        /// Records the live socket; false if the subscriber was closed meanwhile.
        func attach(_ descriptor: Int32) -> Bool {
            state.withLock { state in
                guard !state.isClosed else { return false }
                state.descriptor = descriptor
                return true
            }
        }

        func detach() { state.withLock { $0.descriptor = nil } }

        func close() {
            state.withLock { state in
                state.isClosed = true
                // Shutting the socket (not closing it: hiredis owns it) wakes the blocked read.
                if let descriptor = state.descriptor { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
            }
        }
    }
}

extension RedisSubscriber: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }
}
