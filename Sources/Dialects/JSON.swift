/// A JSON value that keeps what Swift's dictionaries lose: the order of an object's members and a
/// number's literal text. Tool schemas and tool-call arguments pass through Tollgate as these, so the
/// bytes Ollama renders into a prompt are the bytes the client sent (a reordered key is a KV-cache miss).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number as written (`1`, `-0.5`, `1e-05`), so it round-trips byte for byte.
    case number(String)
    case string(String)
    case array([JSON])
    /// Members in the order they were written; a repeated key keeps every occurrence.
    case object([JSONMember])
}

/// One `"key": value` of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSON

    public init(_ key: String, _ value: JSON) {
        self.key = key
        self.value = value
    }
}
