/// OpenAI's error shape: `{"error":{"message","type","param","code"}}`.
public enum OpenAIErrorBody {
    /// The error object as JSON bytes.
    public static func json(_ error: DialectError) -> [UInt8] {
        var json = JSONWriter()
        json.raw("{\"error\":{\"message\":")
        json.string(error.message)
        json.raw(",\"type\":")
        json.string(type(of: error.kind))
        json.raw(",\"param\":")
        json.optionalString(error.param)
        json.raw(",\"code\":")
        json.optionalString(error.code)
        json.raw("}}")
        return json.bytes
    }

    /// OpenAI's `type` for each kind of error.
    public static func type(of kind: DialectError.Kind) -> String {
        switch kind {
        case .invalidRequest, .notFound, .conflict, .payloadTooLarge: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .rateLimited: "rate_limit_error"
        case .upstreamUnavailable, .upstreamTimeout, .overloaded, .internalError: "api_error"
        }
    }
}
