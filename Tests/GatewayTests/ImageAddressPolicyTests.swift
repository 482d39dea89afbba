import Testing

@testable import Gateway

@Suite("ImageAddressPolicy: which addresses a remote image may come from")
struct ImageAddressPolicyTests {
    private let policy = ImageAddressPolicy()

    private func refusal(_ literal: String, policy: ImageAddressPolicy? = nil) throws -> String? {
        let address = try #require(IPAddress(literal), "\(literal) does not parse")
        return (policy ?? self.policy).refusal(of: address)
    }

    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"),
        ("10.0.0.1", "private"), ("10.255.255.255", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
        ("192.168.1.1", "private"), ("100.64.0.1", "CGNAT"), ("100.127.255.255", "CGNAT"), ("169.254.0.1", "link-local"),
        ("169.254.169.254", "metadata"), ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"), ("192.0.0.170", "IETF"), ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"), ("[fe80::abcd]", "link-local"),
        ("fc00::1", "unique local"), ("fd00:ec2::254", "unique local"), ("ff02::1", "multicast"), ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"), ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:10.1.2.3", "private"), ("::127.0.0.1", "loopback"), ("0:0:0:0:0:ffff:192.168.0.1", "private"),
        ("64:ff9b::10.0.0.1", "private"), ("2002:7f00:1::", "loopback"), ("::ffff:0.0.0.0", "unspecified"),
    ])
    func nonPublicAddressesAreRefused(literal: String, reason: String) throws {
        let refusal = try refusal(literal)
        #expect(refusal?.contains(reason) == true, "\(literal): \(refusal ?? "allowed")")
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255",
        "192.167.255.255", "11.0.0.0", "223.255.255.255", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8", "fbff:ffff::1", "fe00::1",
    ])
    func publicAddressesPass(literal: String) throws {
        #expect(try refusal(literal) == nil, "\(literal)")
    }

    /// `inet_pton` takes only canonical spellings; legacy IPv4 forms are judged on what getaddrinfo makes of them.
    @Test(arguments: ["127.1", "0x7f.0.0.1", "017700000001", "2130706433", "127.0.0.1.", "1.2.3", "::ffff:1.2.3", ""])
    func legacySpellingsAreNotLiterals(text: String) {
        #expect(IPAddress(text) == nil, "\(text)")
    }

    @Test func everyResolvedAddressMustPass() throws {
        let public4 = try #require(IPAddress("93.184.216.34"))
        let loopback6 = try #require(IPAddress("::1"))
        #expect(policy.refusal(host: "example.com", addresses: [public4]) == nil)
        #expect(policy.refusal(host: "example.com", addresses: [public4, loopback6])?.contains("loopback") == true)
        #expect(policy.refusal(host: "example.com", addresses: [])?.contains("no address") == true)
    }

    @Test func allowListTakesNamesAddressesAndRanges() throws {
        let allowing = ImageAddressPolicy(allowing: ["Images.Internal.", "127.0.0.1", "10.1.0.0/16", "fd12::/16"])
        #expect(allowing.allowedHosts == ["images.internal"])
        #expect(try refusal("127.0.0.1", policy: allowing) == nil)
        #expect(try refusal("::ffff:127.0.0.1", policy: allowing) == nil)
        #expect(try refusal("127.0.0.2", policy: allowing)?.contains("loopback") == true)
        #expect(try refusal("10.1.200.3", policy: allowing) == nil)
        #expect(try refusal("10.2.0.1", policy: allowing)?.contains("private") == true)
        #expect(try refusal("fd12:3456::1", policy: allowing) == nil)
        #expect(try refusal("fd13::1", policy: allowing)?.contains("unique local") == true)
        #expect(try refusal("169.254.169.254", policy: allowing)?.contains("metadata") == true)
        let metadata = try #require(IPAddress("169.254.169.254"))
        #expect(allowing.refusal(host: "images.internal", addresses: [metadata]) == nil)
        #expect(allowing.refusal(host: "IMAGES.internal.", addresses: [metadata]) == nil)
        #expect(allowing.refusal(host: "other.internal", addresses: [metadata]) != nil)
    }

    /// A redirect's target is checked like the first URL: an allowed host cannot hand the fetch to a refused one.
    @Test func redirectTargetIsCheckedAgain() throws {
        let allowing = ImageAddressPolicy(allowing: ["127.0.0.1"])
        #expect(allowing.refusal(host: "127.0.0.1", addresses: [try #require(IPAddress("127.0.0.1"))]) == nil)
        let hop = try RemoteImages.Target("http://169.254.169.254/latest/meta-data/")
        #expect(hop.host == "169.254.169.254")
        #expect(allowing.refusal(host: hop.host, addresses: [try #require(IPAddress(hop.host))])?.contains("metadata") == true)
    }

    @Test(arguments: ["10.0.0.0/8", "::/0", "fe80::/10", "127.0.0.1", "images.internal", "my-host_1"])
    func validAllowEntries(entry: String) {
        #expect(ImageAddressPolicy.isValidEntry(entry))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/-1", "::/129", "host/8", "", "a b", "http://x"])
    func invalidAllowEntries(entry: String) {
        #expect(!ImageAddressPolicy.isValidEntry(entry))
    }

    @Test func cidrMatchesPrefixBitsOnly() throws {
        let range = try #require(CIDR("172.16.0.0/12"))
        #expect(range.contains(try #require(IPAddress("172.31.0.1"))))
        #expect(!range.contains(try #require(IPAddress("172.32.0.1"))))
        #expect(!range.contains(try #require(IPAddress("::ffff:172.16.0.1"))))  // families differ; the policy unwraps
        #expect(try #require(CIDR("0.0.0.0/0")).contains(try #require(IPAddress("203.0.113.9"))))
    }

    @Test func targetsRefuseOtherSchemesAndCredentials() throws {
        #expect(throws: GatewayError.self) { try RemoteImages.Target("ftp://example.com/a.png") }
        #expect(throws: GatewayError.self) { try RemoteImages.Target("file:///etc/passwd") }
        #expect(throws: GatewayError.self) { try RemoteImages.Target("http://user:pw@example.com/a.png") }
        #expect(throws: GatewayError.self) { try RemoteImages.Target("http://evil.com\\@127.0.0.1/") }
        let v6 = try RemoteImages.Target("http://[::1]:8080/a.png")
        #expect(v6.host == "::1" && v6.curlHost == "[::1]" && v6.port == 8080)
        #expect(try RemoteImages.Target("HTTPS://Example.COM/a").port == 443)
    }
}

@Suite("images.* settings")
struct ImageSettingsTests {
    @Test func allowHostsAndBoundsAreRead() throws {
        let yaml = "images:\n  fetch_remote: false\n  max_bytes: 1024\n  fetch_timeout_ms: 500\n  allow_hosts: [\"10.0.0.0/8\", images.internal]\n"
        let config = try ConfigLoader.load(yaml: yaml, path: "test.yaml", environment: baseEnvironment)
        #expect(config.images.fetchRemote == false)
        #expect(config.images.maxBytes == 1024 && config.images.fetchTimeoutMs == 500)
        #expect(config.images.allowHosts == ["10.0.0.0/8", "images.internal"])
    }

    @Test(arguments: [
        ("images:\n  max_bytes: 0\n", "images.max_bytes"),
        ("images:\n  fetch_timeout_ms: 0\n", "images.fetch_timeout_ms"),
        ("images:\n  allow_hosts: [\"10.0.0.0/40\"]\n", "images.allow_hosts[0]"),
        ("images:\n  fetch_remotely: true\n", "fetch_remotely"),
    ])
    func badSettingsAreRefused(yaml: String, names: String) throws {
        let error = try configError(yaml)
        #expect(error.message.contains(names), "\(error.message)")
    }
}
