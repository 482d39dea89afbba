internal import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs `sql`, a `COPY … FROM STDIN` in text format, sends it `rows`, and returns how many rows the server
    /// took.
    ///
    /// The whole exchange has the deadline `timeout`: the socket is put in non-blocking mode and every wait is
    /// a `poll(2)` bounded by what is left of it. Past the deadline the server is asked to cancel the `COPY`
    /// and the connection is abandoned (the pool replaces it), since it is stuck half-way through one.
    /// A failure the server reports (a value of the wrong type, a constraint) throws ``PostgresError/Code/queryFailed``
    /// with its SQLSTATE and leaves the connection usable; inside a transaction, nothing was copied.
    @discardableResult
    public func copy(_ sql: String, _ rows: PostgresCopyRows, timeout: Duration = .seconds(30)) throws -> Int {
        statementsThisLease += 1
        let deadline = ContinuousClock.now + timeout
        guard PQsetnonblocking(handle, 1) == 0 else { throw lost() }
        defer { PQsetnonblocking(handle, 0) }
        do {
            guard PQsendQuery(handle, sql) == 1 else { throw lost() }
            try flush(until: deadline)
            guard let start = try nextResult(until: deadline) else {
                throw PostgresError(.badResult, message: "the server sent no answer to a COPY")
            }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                // An error (a missing table, bad syntax), or a statement that was no COPY FROM STDIN.
                let outcome = Swift.Result { try consume(start) }
                try drainResults(until: deadline)
                _ = try outcome.get()
                throw PostgresError(.badResult, message: "the statement is not a COPY … FROM STDIN")
            }
            PQclear(start)
            try send(rows.bytes, until: deadline)
            try endCopy(until: deadline)
            try flush(until: deadline)
            guard let end = try nextResult(until: deadline) else {
                throw PostgresError(.badResult, message: "the server sent no outcome for a COPY")
            }
            let outcome = Swift.Result { try consume(end) }
            try drainResults(until: deadline)
            return try outcome.get().affectedRows
        } catch is CopyDeadline {
            canceller.cancel()
            isAbandoned = true
            throw PostgresError(.connectionFailed, message: "COPY did not finish within \(timeout); the connection is closed")
        }
    }

    private struct CopyDeadline: Error {}

    /// Queues `bytes` as copy data, waiting for the socket whenever libpq's buffer is full. Stops early when
    /// libpq says no COPY is in progress any more (the server failed it): the result then says why.
    private func send(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws {
        let chunk = 256 * 1024
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let length = min(chunk, buffer.count - offset)
                let sent = base.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: length) {
                    PQputCopyData(handle, $0, Int32(length))
                }
                switch sent {
                case 1: offset += length
                case 0: try waitForSocket(read: true, write: true, until: deadline)
                default: return
                }
            }
        }
    }

    private func endCopy(until deadline: ContinuousClock.Instant) throws {
        while true {
            switch PQputCopyEnd(handle, nil) {
            case 1: return
            case 0: try waitForSocket(read: true, write: true, until: deadline)
            default: return  // no COPY in progress any more: the result says why
            }
        }
    }

    /// Sends everything libpq has queued.
    private func flush(until deadline: ContinuousClock.Instant) throws {
        while true {
            switch PQflush(handle) {
            case 0: return
            case 1:
                let readable = try waitForSocket(read: true, write: true, until: deadline)
                if readable, PQconsumeInput(handle) != 1 { throw lost() }
            default: throw lost()
            }
        }
    }

    /// The next result once it is complete, or nil when the statement has none left.
    private func nextResult(until deadline: ContinuousClock.Instant) throws -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            try waitForSocket(read: true, write: false, until: deadline)
            guard PQconsumeInput(handle) == 1 else { throw lost() }
        }
        return PQgetResult(handle)
    }

    private func drainResults(until deadline: ContinuousClock.Instant) throws {
        while let extra = try nextResult(until: deadline) { PQclear(extra) }
    }

    /// Waits until the socket is readable or writable (as asked); returns whether it is readable.
    @discardableResult
    private func waitForSocket(read: Bool, write: Bool, until deadline: ContinuousClock.Instant) throws -> Bool {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw lost() }
        var events: Int16 = 0
        if read { events |= Int16(POLLIN) }
        if write { events |= Int16(POLLOUT) }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw CopyDeadline() }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 }
            if ready < 0 && errno != EINTR { throw lost() }
        }
    }

    private func lost() -> PostgresError {
        PostgresError(.connectionFailed, message: Self.errorMessage(handle))
    }
}
