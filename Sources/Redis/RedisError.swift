/// An error from Redis or from talking to it.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, server, clientClosed, badURL, queueFull, timedOut
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Redis could not be reached, or the connection broke during a command.
        public static let connectionFailed = Code(.connectionFailed)
        /// Redis answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
        public static let server = Code(.server)
        /// ``RedisClient/Configuration/maxQueued`` commands were already waiting; this one was not queued.
        public static let queueFull = Code(.queueFull)
        /// The command's deadline passed before Redis answered it (or before it could be sent).
        public static let timedOut = Code(.timedOut)
        /// The client was shut down.
        public static let clientClosed = Code(.clientClosed)
        /// The Redis URL could not be parsed.
        public static let badURL = Code(.badURL)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RedisError(\(code)): \(message)" }
}
