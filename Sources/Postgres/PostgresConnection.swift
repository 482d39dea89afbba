internal import CLibPQ
import Foundation
import Locking

/// One libpq connection. Blocking: use it only from a ``PostgresPool`` thread, never from an event loop
/// or Swift's cooperative pool.
///
/// The connection owns its `PGconn` and frees it in `deinit`. It is not `Sendable`: one thread at a time.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// Lets another thread cancel the statement running here (``PostgresCanceller``).
    let canceller: PostgresCanceller
    /// Whether the last failure broke the connection on a statement that is safe to send again on a fresh
    /// one (see ``PostgresPool``): set by ``query(_:_:idempotent:)``, cleared at each lease.
    private(set) var failureIsRetryable = false
    /// Statements run since the connection was leased.
    var statementsThisLease = 0
    /// Set when the connection was left in a state no statement can follow (a `COPY` past its deadline):
    /// it then counts as broken, and the pool discards it.
    var isAbandoned = false
    /// Session set-up already done on this connection (``once(_:_:)``).
    private var setUp: Set<String> = []

    /// Opens a connection; throws with libpq's message when it fails.
    /// - Parameters:
    ///   - url: a libpq connection string or `postgresql://` URL.
    ///   - connectTimeout: libpq's `connect_timeout` (whole seconds, at least 1), unless `url` sets its own.
    ///   - statementTimeout: PostgreSQL's `statement_timeout` for the session; nil leaves the server's.
    public init(url: String, connectTimeout: Duration = .seconds(10), statementTimeout: Duration? = nil) throws {
        let seconds = String(max(1, connectTimeout.components.seconds))
        // `dbname` is expanded from the URL (expand_dbname = 1); the keyword before it is a default the URL may override.
        let handle: OpaquePointer? = withCStrings(["connect_timeout", "dbname", nil]) { keywords in
            withCStrings([seconds, url, nil]) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle else {
            throw PostgresError(.connectionFailed, message: "out of memory creating a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(.connectionFailed, message: message)
        }
        self.handle = handle
        self.canceller = PostgresCanceller(PQgetCancel(handle))
        if let statementTimeout {
            let (whole, fraction) = statementTimeout.components
            let milliseconds = whole * 1000 + fraction / 1_000_000_000_000_000
            try query("SELECT set_config('statement_timeout', $1, false)", [.text("\(milliseconds)ms")])
        }
    }

    deinit {
        canceller.free()
        PQfinish(handle)
    }

    /// False once the server connection broke; the pool then discards this connection.
    public var isHealthy: Bool { !isAbandoned && PQstatus(handle) == CONNECTION_OK }

    /// Whether the connection still works, checked without a round trip before it is leased: reads what the
    /// server sent meanwhile, so one that said goodbye (a restart's "terminating connection") or closed the
    /// socket is found dead before a statement is sent on it. libpq's socket is non-blocking, so this never waits.
    func isAliveBeforeUse() -> Bool {
        guard !isAbandoned else { return false }
        for _ in 0..<3 {
            guard PQstatus(handle) == CONNECTION_OK else { return false }
            guard PQconsumeInput(handle) == 1 else { return false }
            _ = PQisBusy(handle)  // parses what arrived, so a server's closing error is taken in
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Starts a lease: nothing has run on it yet.
    func beginLease() {
        failureIsRetryable = false
        statementsThisLease = 0
    }

    /// Runs one statement with bound parameters (`$1`, `$2`, ...), in text format.
    ///
    /// When the connection breaks during the first statement of a lease, the pool sends it again on a fresh
    /// connection if doing so cannot apply it twice: `BEGIN`, a read-only `SELECT`, or a statement the caller
    /// marks `idempotent` (an insert keyed so a replay is skipped, say).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], idempotent: Bool = false) throws -> PostgresRows {
        statementsThisLease += 1
        do {
            return try run(sql, parameters)
        } catch let error as PostgresError where error.code == .connectionFailed {
            failureIsRetryable = statementsThisLease == 1 && (idempotent || Self.isSafeToResend(sql))
            throw error
        }
    }

    /// `BEGIN`, and `SELECT`s that lock nothing: sending them twice changes nothing.
    static func isSafeToResend(_ sql: String) -> Bool {
        let words = sql.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == ";" })
        guard let first = words.first else { return false }
        if first == "begin" { return words.count == 1 }
        return first == "select" && !words.contains("for") && !words.contains("into") && !sql.lowercased().contains("nextval")
    }

    private func run(_ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        let texts: [String?] = parameters.map {
            switch $0 {
            case .null: nil
            case .text(let value): value
            }
        }
        let result = withCStrings(texts) { pointers in
            PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs `body` the first time `name` is asked for on this connection (a server session): session set-up
    /// such as a temporary table. When `body` throws, it runs again next time.
    public func once(_ name: String, _ body: (PostgresConnection) throws -> Void) rethrows {
        guard !setUp.contains(name) else { return }
        try body(self)
        setUp.insert(name)
    }

    /// Runs `body` inside `BEGIN … COMMIT`, rolling back when it throws.
    public func transaction<Result>(_ body: (PostgresConnection) throws -> Result) throws -> Result {
        try query("BEGIN")
        do {
            let result = try body(self)
            try query("COMMIT")
            return result
        } catch {
            if isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    /// Runs a script of one or more statements without parameters (migrations only).
    public func execute(script: String) throws {
        _ = try consume(PQexec(handle, script))
    }

    func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        guard let result else {
            throw PostgresError(.connectionFailed, message: Self.errorMessage(handle))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(columns: [], rows: [], affectedRows: Self.affectedRows(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return Self.copyRows(result)
        default:
            let message = String(cString: PQresultErrorMessage(result))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let code: PostgresError.Code = PQstatus(handle) == CONNECTION_OK ? .queryFailed : .connectionFailed
            throw PostgresError(code, message: message.trimmingTrailingNewlines(), sqlState: state)
        }
    }

    private static func copyRows(_ result: OpaquePointer) -> PostgresRows {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                }
            )
        }
        return PostgresRows(columns: columns, rows: rows, affectedRows: affectedRows(result))
    }

    private static func affectedRows(_ result: OpaquePointer) -> Int {
        guard let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines()
    }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}

/// libpq's cancel request object for one connection, usable from any thread: ``cancel()`` asks the server to
/// stop the statement the connection is running (PQcancel opens its own socket, so it does not touch the
/// connection itself). A mutex keeps a cancel from racing the connection's close.
final class PostgresCanceller: Sendable {
    private struct Handle: @unchecked Sendable {
        // Only used under `state`'s lock.
        var pointer: OpaquePointer?
    }

    private let state: Locked<Handle>

    init(_ pointer: OpaquePointer?) { state = Locked(Handle(pointer: pointer)) }

    /// Asks the server to cancel the running statement; it then fails with SQLSTATE 57014. Returns whether the
    /// request was delivered (a statement that already finished is not affected).
    @discardableResult
    func cancel() -> Bool {
        state.withLock { handle in
            guard let pointer = handle.pointer else { return false }
            var buffer = [CChar](repeating: 0, count: 256)
            return PQcancel(pointer, &buffer, Int32(buffer.count)) == 1
        }
    }

    func free() {
        state.withLock { handle in
            if let pointer = handle.pointer { PQfreeCancel(pointer) }
            handle.pointer = nil
        }
    }
}

/// Calls `body` with a C array of C strings (NULL for nil) that live for the duration of the call.
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let duplicates: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { duplicates.forEach { free($0) } }
    return body(duplicates.map { $0.map { UnsafePointer($0) } })
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var copy = self
        while copy.last?.isNewline == true { copy.removeLast() }
        return copy
    }
}
