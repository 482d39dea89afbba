/// A Redis reply, copied out of hiredis's reply object.
public enum RedisValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case string(String)
    case status(String)
    case error(String)
    case array([RedisValue])

    /// The reply as a string (bulk string or status), if it is one.
    public var string: String? {
        switch self {
        case .string(let value), .status(let value): value
        default: nil
        }
    }

    /// The reply as an integer (an integer reply, or a bulk string that holds one).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .string(let value): Int64(value)
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
