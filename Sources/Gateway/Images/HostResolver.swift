import Dispatch
import Foundation

/// Resolves a host name to all its addresses with `getaddrinfo`, within a deadline.
///
/// `getaddrinfo` blocks and cannot be cancelled, so it runs on a dispatch queue; past the deadline the caller
/// gets an error at once and the lookup finishes on its own (bounded by the system resolver's timeouts).
enum HostResolver {
    struct Failure: Error {
        let reason: String
    }

    static func addresses(of host: String, within timeout: Duration) async throws -> [IPAddress] {
        try await withThrowingTaskGroup(of: [IPAddress].self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(with: lookUp(host)) }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(reason: "resolving it took too long")
            }
            defer { group.cancelAll() }
            return try await group.next() ?? []
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
