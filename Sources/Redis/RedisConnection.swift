internal import CHiredis
import Foundation

/// One hiredis connection. Blocking: only ``RedisClient``'s own thread uses it.
///
/// It owns its `redisContext` and frees it in `deinit`. Commands go in with `redisAppendCommandArgv`
/// (binary-safe, no format strings), so many can be written before their replies are read.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    init(url: RedisURL, timeout: Duration) throws {
        let tv = timeval(timeout)
        guard let context = redisConnectWithTimeout(url.host, Int32(url.port), tv) else {
            throw RedisError(.connectionFailed, message: "out of memory creating a Redis connection")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError(.connectionFailed, message: message)
        }
        _ = redisSetTimeout(context, tv)
        self.context = context
        if let password = url.password {
            let auth = url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            try expectOK(try roundTrip(auth))
        }
        if url.database != 0 {
            try expectOK(try roundTrip(["SELECT", String(url.database)]))
        }
    }

    deinit {
        redisFree(context)
    }

    /// The socket, for ``RedisSubscriber`` to interrupt a blocking read from another thread.
    var fileDescriptor: Int32 { context.pointee.fd }

    /// Makes reads wait without limit (a subscriber waits for messages), with TCP keep-alive so a dead
    /// server is still noticed.
    func waitForeverOnReads() {
        _ = redisSetTimeout(context, timeval(tv_sec: 0, tv_usec: 0))
        _ = redisEnableKeepAlive(context)
    }

    /// Queues a command in hiredis's output buffer; it is written on the next ``readReply()``.
    func append(_ arguments: [String]) {
        let command = Self.resp(arguments)
        command.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                _ = redisAppendFormattedCommand(context, text.baseAddress, text.count)
            }
        }
    }

    /// `arguments` as one RESP array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`), written here
    /// rather than by hiredis's printf-style formatter. Binary-safe: lengths are byte counts.
    static func resp(_ arguments: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + arguments.reduce(0) { $0 + $1.utf8.count + 16 })
        func line(_ marker: UInt8, _ count: Int) {
            bytes.append(marker)
            // The decimal digits of `count`, written in place (no String made for them).
            let start = bytes.count
            var rest = count
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            bytes[start...].reverse()
            bytes.append(0x0D)
            bytes.append(0x0A)
        }
        line(UInt8(ascii: "*"), arguments.count)
        for argument in arguments {
            line(UInt8(ascii: "$"), argument.utf8.count)
            bytes.append(contentsOf: argument.utf8)
            bytes.append(0x0D)
            bytes.append(0x0A)
        }
        return bytes
    }

    /// Writes whatever is queued and reads one reply. Throws when the connection broke.
    func readReply() throws -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
            throw RedisError(.connectionFailed, message: Self.errorText(context))
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.value(of: reply)
    }

    func roundTrip(_ arguments: [String]) throws -> RedisValue {
        append(arguments)
        return try readReply()
    }

    private func expectOK(_ value: RedisValue) throws {
        if case .error(let message) = value { throw RedisError(.server, message: message) }
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STRING: return .string(text(r))
        case REDIS_REPLY_STATUS: return .status(text(r))
        case REDIS_REPLY_ERROR: return .error(text(r))
        case REDIS_REPLY_ARRAY:
            return .array((0..<r.elements).map { index in
                r.element[index].map(value(of:)) ?? .null
            })
        default: return .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard let pointer = reply.str else { return "" }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: reply.len)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }.nonEmpty ?? "connection error \(context.pointee.err)"
    }
}

@available(*, unavailable)
extension RedisConnection: Sendable {}

extension timeval {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

