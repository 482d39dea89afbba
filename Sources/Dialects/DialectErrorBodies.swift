/// Anthropic's error shape: `{"type":"error","error":{"type","message"}}`.
public enum AnthropicErrorBody {
    public static func json(_ error: DialectError) -> [UInt8] {
        var json = JSONWriter()
        json.raw("{\"type\":\"error\",\"error\":{\"type\":")
        json.string(type(of: error.kind))
        json.raw(",\"message\":")
        json.string(error.message)
        json.raw("}}")
        return json.bytes
    }

    /// Anthropic's `error.type` for each kind of error.
    public static func type(of kind: DialectError.Kind) -> String {
        switch kind {
        case .invalidRequest, .conflict: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .notFound: "not_found_error"
        case .payloadTooLarge: "request_too_large"
        case .rateLimited: "rate_limit_error"
        case .upstreamUnavailable, .internalError: "api_error"
        case .overloaded: "overloaded_error"
        case .upstreamTimeout: "timeout_error"
        }
    }
}

/// Ollama's error shape: `{"error":"…"}`.
public enum OllamaErrorBody {
    public static func json(_ error: DialectError) -> [UInt8] {
        var json = JSONWriter()
        json.raw("{\"error\":")
        json.string(error.message)
        json.raw("}")
        return json.bytes
    }
}

/// Reading Ollama's `{"error":"…"}` answers.
public enum OllamaErrorMessage {
    /// The message in an Ollama error body, if it is one.
    public static func text(in body: [UInt8]) -> String? {
        (try? JSONParser.parse(body))?["error"]?.string
    }
}
