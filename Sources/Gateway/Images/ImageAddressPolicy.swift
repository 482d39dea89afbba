/// Which hosts and addresses the gateway may fetch a remote image from: a guard against server-side
/// request forgery (a client making the gateway reach its own network or a cloud metadata service).
///
/// A host passes only if EVERY address it resolved to passes, so a name with one public and one private
/// address is refused. An address is refused when it is in a non-public range (``refusedRanges``), directly or
/// through an IPv6 form that carries an IPv4 address, unless `images.allow_hosts` names the host or a range
/// holding the address. Pure: the caller resolves the host and passes the binary addresses.
struct ImageAddressPolicy: Sendable {
    /// Host names (lower-cased) allowed whatever they resolve to.
    let allowedHosts: Set<String>
    /// Ranges allowed even though they are non-public.
    let allowedRanges: [CIDR]

    /// `entries` are host names, addresses or CIDR ranges (`images.allow_hosts`).
    init(allowing entries: [String] = []) {
        var hosts: Set<String> = []
        var ranges: [CIDR] = []
        for entry in entries {
            if let range = CIDR(entry) { ranges.append(range) } else { hosts.insert(Self.normalized(entry)) }
        }
        allowedHosts = hosts
        allowedRanges = ranges
    }

    /// Whether an allow-list entry is a range/address or else a plausible host name; nil if it is neither.
    static func isValidEntry(_ entry: String) -> Bool {
        if CIDR(entry) != nil { return true }
        if entry.contains("/") { return false }
        let name = normalized(entry)
        return !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
    }

    /// The non-public ranges, with the name a refusal gives them. The metadata address comes before the
    /// link-local range that holds it, so a refusal names it.
    static let refusedRanges: [(range: CIDR, name: String)] = ([
        ("169.254.169.254/32", "a cloud metadata address"),
        ("0.0.0.0/8", "an unspecified (this-network) address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (CGNAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved or broadcast address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("fc00::/7", "a unique local address"),
        ("ff00::/8", "a multicast address"),
    ] as [(String, String)]).map { (range: CIDR($0.0)!, name: $0.1) }

    /// Why `address` may not be fetched from, or nil if it may.
    func refusal(of address: IPAddress) -> String? {
        if isAllowed(address) { return nil }
        if let range = Self.refusedRanges.first(where: { $0.range.contains(address) }) { return range.name }
        if let inner = address.embeddedIPv4 {
            if isAllowed(inner) { return nil }
            if let range = Self.refusedRanges.first(where: { $0.range.contains(inner) }) { return range.name }
        }
        return nil
    }

    /// Why `host`, resolved to `addresses`, may not be fetched from, or nil if it may.
    func refusal(host: String, addresses: [IPAddress]) -> String? {
        if allowedHosts.contains(Self.normalized(host)) { return nil }
        guard !addresses.isEmpty else { return "it resolved to no address" }
        for address in addresses {
            if let reason = refusal(of: address) { return "it resolves to \(reason)" }
        }
        return nil
    }

    private func isAllowed(_ address: IPAddress) -> Bool {
        allowedRanges.contains { $0.contains(address) }
    }

    /// Lower-cased, without a trailing dot or IPv6 brackets.
    static func normalized(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
