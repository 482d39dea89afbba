/// An error from PostgreSQL or from talking to it.
///
/// `description` is deliberately generic so server details never reach an HTTP client by accident;
/// the full text (libpq's message, SQLSTATE) is in ``message`` and ``sqlState`` for logs.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, queryFailed, poolClosed, poolExhausted, badResult
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection could not be opened or was lost.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server rejected or failed a statement.
        public static let queryFailed = Code(.queryFailed)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// Every connection stayed busy for the whole lease timeout; the call was not run.
        public static let poolExhausted = Code(.poolExhausted)
        /// A result did not have the shape the caller expected.
        public static let badResult = Code(.badResult)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// libpq's error text, copied before the C result was freed.
    public let message: String
    /// The five-character SQLSTATE, when the server sent one (`23505` is a unique violation).
    public let sqlState: String?

    public init(_ code: Code, message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { "PostgresError(\(code))" }

    /// True when the statement broke a unique constraint.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// True when the statement named a row of another table that does not exist (a foreign key).
    public var isForeignKeyViolation: Bool { sqlState == "23503" }

    /// True when the server cancelled the statement: `statement_timeout` ran out, or the awaiting task was cancelled.
    public var isCancelled: Bool { sqlState == "57014" }
}

extension PostgresError: CustomDebugStringConvertible {
    public var debugDescription: String {
        "PostgresError(\(code), sqlState: \(sqlState ?? "-"), message: \(message))"
    }
}
