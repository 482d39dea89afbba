public import Hummingbird
import Logging
import NIOCore

/// Per-request state every route and middleware sees.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id returned in `x-tollgate-request-id` and used as the usage log's key.
    public var requestID: String
    /// Who the caller is, once authenticated.
    public var identity: Identity?
    /// The client's connection, for noticing that it closed (see ``ConnectionCloseWatcher``).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.requestID = RequestID.make()
        self.identity = nil
    }
}

/// An authenticated caller: the master key, or a virtual key.
public struct Identity: Sendable, Equatable {
    /// `master` for the master key, else the virtual key's id.
    public var keyID: String
    public var userID: String?
    /// The virtual key, when the caller used one.
    var key: VirtualKey?
    /// The end user named by trusted `X-OpenWebUI-User-*` headers (``EndUser/fromHeaders(_:)``); it wins over
    /// one named in the body.
    var endUser: String? = nil

    public var isMaster: Bool { key == nil }

    public static let master = Identity(keyID: "master", userID: nil, key: nil)
}

/// Request ids: `req_` and 24 random hex digits. Unique enough to be a primary key.
enum RequestID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt32
        return "req_" + Hex.string(high, digits: 16) + Hex.string(UInt64(low), digits: 8)
    }
}
