/// Why a call to an upstream failed.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectFailed, connectTimeout, firstByteTimeout, transferFailed, cancelled, engineClosed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Nothing accepted the connection (refused, unresolvable host).
        public static let connectFailed = Code(.connectFailed)
        /// The connection did not open in time.
        public static let connectTimeout = Code(.connectTimeout)
        /// The upstream accepted the request but sent nothing in time.
        public static let firstByteTimeout = Code(.firstByteTimeout)
        /// The transfer broke after it started (connection dropped, bad framing).
        public static let transferFailed = Code(.transferFailed)
        /// The caller cancelled the transfer.
        public static let cancelled = Code(.cancelled)
        /// The engine was shut down.
        public static let engineClosed = Code(.engineClosed)

        public var description: String { base.rawValue }

        /// True for the codes that mean a time limit ran out.
        public var isTimeout: Bool { self == .connectTimeout || self == .firstByteTimeout }
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
