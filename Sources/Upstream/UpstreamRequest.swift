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

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        connectTimeout: Duration = .seconds(2),
        firstByteTimeout: Duration = .seconds(300)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
    }
}
