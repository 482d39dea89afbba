import Foundation

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order, as the resolver returned it.
///
/// Parsing uses `inet_pton`, which takes only the canonical spellings (dotted decimal, RFC 4291 IPv6); the
/// legacy forms `inet_aton` accepts (`127.1`, `0x7f.0.0.1`, `017700000001`) are not addresses here. Hosts are
/// checked on what `getaddrinfo` resolved them to, so such a spelling in a URL is judged by its binary value.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a literal; IPv6 may be in brackets and carry a zone (`fe80::1%eth0`), which is dropped.
    init?(_ text: String) {
        var literal = Substring(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        if let zone = literal.firstIndex(of: "%") { literal = literal[..<zone] }
        var v4 = in_addr()
        if inet_pton(AF_INET, String(literal), &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard literal.contains(":"), inet_pton(AF_INET6, String(literal), &v6) == 1 else { return nil }
        self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv6 form carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
    /// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`); nil for other addresses.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let head = bytes[0..<12]
        if head.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])
            || head.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            || head.elementsEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])
        {
            // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones; they are
            // refused as such, and reading them as 0.0.0.0/0.0.0.1 refuses them too.
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return nil
    }

    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let text: String? = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil ? String(cString: buffer) : nil
        }
        return text ?? "?"
    }
}

/// An address range: an address and how many leading bits of it a member shares.
struct CIDR: Sendable, Hashable {
    let base: IPAddress
    let prefixLength: Int

    /// `10.0.0.0/8`, `fc00::/7`, or a bare address (a one-address range).
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let base = IPAddress(String(parts[0])) else { return nil }
        let bits = base.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length), !parts[1].hasPrefix("+") else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        self.base = base
    }

    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == base.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, base.bytes) where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if a & mask != b & mask { return false }
            remaining -= take
        }
        return true
    }
}
