/// One HTTP request to an upstream (Ollama), with the bounds Tollgate puts on it.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines as name/value pairs.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Bound on opening the TCP connection.
    public var connectTimeout: Duration
    /// Bound on the first byte of the response after the request was sent; model loads are slow.
    public var firstByteTimeout: Duration
    /// Bound on the silence between two body bytes once the body began (a wedged upstream that neither sends
    /// nor closes); nil for none. Time the transfer spends paused because its reader is slow does not count.
    public var idleTimeout: Duration?
    /// Bound on the whole transfer, from its start to its last byte; nil for none.
    public var totalTimeout: Duration?
    /// `host:port:address` entries that pin where the host's connection goes (curl's `CURLOPT_RESOLVE`), so a
    /// second DNS answer cannot differ from the checked one. Non-empty also turns off any environment proxy.
    public var pinnedAddresses: [String] = []
    /// Schemes curl may use, comma-separated (`"http,https"`); nil for curl's default.
    public var allowedProtocols: String?
    /// Refuse a body announced larger than this (the reader still bounds what it collects); nil for none.
    public var maxBodyBytes: Int?

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        connectTimeout: Duration = .seconds(2),
        firstByteTimeout: Duration = .seconds(300),
        idleTimeout: Duration? = nil,
        totalTimeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
    }
}
