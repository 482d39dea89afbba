internal import CLibPQ
import Foundation

/// One libpq connection. Blocking: use it only from a ``PostgresPool`` thread, never from an event loop
/// or Swift's cooperative pool.
///
/// The connection owns its `PGconn` and frees it in `deinit`. It is not `Sendable`: one thread at a time.
public final class PostgresConnection {
    private let handle: OpaquePointer

    /// Opens a connection; throws with libpq's message when it fails.
    /// - Parameter url: a libpq connection string or `postgresql://` URL.
    public init(url: String) throws {
        guard let handle = PQconnectdb(url) else {
            throw PostgresError(.connectionFailed, message: "out of memory creating a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(.connectionFailed, message: message)
        }
        self.handle = handle
    }

    deinit {
        PQfinish(handle)
    }

    /// False once the server connection broke; the pool then discards this connection.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs one statement with bound parameters (`$1`, `$2`, ...), in text format.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
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

    /// Runs a script of one or more statements without parameters (migrations only).
    public func execute(script: String) throws {
        _ = try consume(PQexec(handle, script))
    }

    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
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

    private static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines()
    }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}

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
