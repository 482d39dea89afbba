import Dispatch
import Foundation
import Locking

/// Resolves a host name to all its addresses with `getaddrinfo`, within a deadline.
///
/// `getaddrinfo` blocks and cannot be cancelled, so it runs on a dispatch queue; past the deadline the caller
/// gets an error at once and the lookup finishes on its own (bounded by the system resolver's timeouts).
enum HostResolver {
    struct Failure: Error {
        let reason: String
    }

    static func addresses(of host: String, within timeout: Duration) async throws -> [IPAddress] {
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        return try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            DispatchQueue.global().async { once.resume(with: lookUp(host)) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                once.resume(with: .failure(Failure(reason: "resolving it took too long")))
            }
        }
    }

    /// Resumes its continuation with whichever result comes first: the lookup or the deadline.
    private final class ResumeOnce: Sendable {
        private let continuation: Locked<CheckedContinuation<[IPAddress], any Error>?>

        init(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
            self.continuation = Locked(continuation)
        }

        func resume(with result: Result<[IPAddress], any Error>) {
            let waiting = continuation.withLock { waiting in
                defer { waiting = nil }
                return waiting
            }
            waiting?.resume(with: result)
        }
    }

    private static func lookUp(_ host: String) -> Result<[IPAddress], any Error> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, &hints, &list)
        guard code == 0 else { return .failure(Failure(reason: "it could not be resolved (\(String(cString: gai_strerror(code))))")) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry?.pointee {
            if let sockaddr = current.ai_addr {
                switch current.ai_family {
                case AF_INET:
                    var v4 = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    if let address = IPAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) }) { addresses.append(address) }
                case AF_INET6:
                    var v6 = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    if let address = IPAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) }) { addresses.append(address) }
                default:
                    break
                }
            }
            entry = current.ai_next
        }
        var seen: Set<IPAddress> = []
        return .success(addresses.filter { seen.insert($0).inserted })
    }
}
