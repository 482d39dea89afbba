import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 POST on a fresh loopback connection, read until the response's own framing ends it or the
/// caller's deadline passes, whichever is first; says which.
///
/// For tests that must tell "the gateway answered" from "the connection was cut" from "it never ended":
/// the request says `Connection: close`, the head is parsed by hand (so every header is there, the request
/// id included), and the body counts as whole only when its `Content-Length` arrived or its chunked
/// encoding reached the last chunk. The socket is polled without blocking, so waiting costs no thread.
enum LoopbackCall {
    /// How a call ended.
    enum Ending: String, Sendable, CaseIterable {
        /// The whole response arrived, as its framing delimits it.
        case complete
        /// The connection ended (closed or reset) before the response did.
        case cut
        /// No connection could be made: nothing listens on the port.
        case refused
        /// The caller's deadline passed first, and the client hung up.
        case deadline
    }

    struct Answer: Sendable {
        var ending: Ending
        /// The response's status, if its head arrived.
        var status: Int?
        /// Header names lowercased.
        var headers: [String: String]
        /// The body as decoded so far (chunked framing removed).
        var body: String
        var duration: Duration
    }

    /// Bytes kept of one response; a response past it counts as cut (no call of the tests comes near it).
    static let maxBytes = 1 << 20

    static func post(port: Int, path: String, json: String, headers: [String: String], deadline: Duration) async -> Answer {
        let start = ContinuousClock.now
        func answer(_ ending: Ending, _ received: [UInt8] = []) -> Answer {
            let parsed = Response(received)
            return Answer(
                ending: ending, status: parsed?.status, headers: parsed?.headers ?? [:],
                body: String(decoding: parsed?.body ?? [], as: UTF8.self), duration: start.duration(to: .now)
            )
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return answer(.refused) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        // On loopback, connect() succeeds or is refused at once.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return answer(.refused) }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        head += "Content-Length: \(json.utf8.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n" + json).utf8)
        // MSG_NOSIGNAL: a server that died in between is a cut call, not a SIGPIPE for the test process.
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return answer(.cut) }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let end = start + deadline
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 0) == 0 {
                guard ContinuousClock.now < end else { return answer(.deadline, received) }
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard count > 0 else {
                let parsed = Response(received)
                return answer(parsed?.isWhole == true || parsed?.isCloseDelimited == true ? .complete : .cut, received)
            }
            received += buffer[0..<count]
            if received.count > maxBytes { return answer(.cut, received) }
            if Response(received)?.isWhole == true { return answer(.complete, received) }
        }
    }

    /// A response parsed from the bytes received so far; nil until its head is complete.
    private struct Response {
        var status: Int
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        /// The framing says the body is all there.
        var isWhole = false
        /// No framing: the body ends where the connection does.
        var isCloseDelimited = false

        init?(_ bytes: [UInt8]) {
            guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
            let lines = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
            self.status = status
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let raw = Array(bytes[headEnd.upperBound...])
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                (body, isWhole) = Self.dechunk(raw)
            } else if let length = headers["content-length"].flatMap(Int.init) {
                body = Array(raw.prefix(length))
                isWhole = raw.count >= length
            } else {
                body = raw
                isCloseDelimited = true
            }
        }

        /// The chunked body's data so far, and whether the last (zero-size) chunk arrived.
        private static func dechunk(_ raw: [UInt8]) -> ([UInt8], Bool) {
            var data: [UInt8] = []
            var index = 0
            let crlf = Array("\r\n".utf8)
            while let lineEnd = raw[index...].firstRange(of: crlf) {
                let sizeText = String(decoding: raw[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return (data, false) }
                if size == 0 { return (data, true) }
                let start = lineEnd.upperBound
                guard raw.count >= start + size + 2 else {
                    data += raw[start..<min(raw.count, start + size)]
                    return (data, false)
                }
                data += raw[start..<(start + size)]
                index = start + size + 2
            }
            return (data, false)
        }
    }
}
