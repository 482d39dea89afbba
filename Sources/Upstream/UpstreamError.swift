/// Why a call to an upstream failed.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectFailed, connectTimeout, firstByteTimeout, idleTimeout, totalTimeout, transferFailed, cancelled, engineClosed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Nothing accepted the connection (refused, unresolvable host).
        public static let connectFailed = Code(.connectFailed)
        /// The connection did not open in time.
        public static let connectTimeout = Code(.connectTimeout)
        /// The upstream accepted the request but sent nothing in time.
        public static let firstByteTimeout = Code(.firstByteTimeout)
        /// The body began, then the upstream sent nothing for longer than the request's idle bound.
        public static let idleTimeout = Code(.idleTimeout)
        /// The whole transfer took longer than the request's total bound.
        public static let totalTimeout = Code(.totalTimeout)
        /// The transfer broke after it started (connection dropped, bad framing).
        public static let transferFailed = Code(.transferFailed)
        /// The caller cancelled the transfer.
        public static let cancelled = Code(.cancelled)
        /// The engine was shut down.
        public static let engineClosed = Code(.engineClosed)

        public var description: String { base.rawValue }

        /// True for the codes that mean a time limit ran out.
        public var isTimeout: Bool { [.connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout].contains(self) }
    }

    public let code: Code
    /// libcurl's text for the failure, for logs.
    public let message: String

    public init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "UpstreamError(\(code)): \(message)" }
}
