/// A request in Ollama's own dialect, forwarded nearly untouched: Tollgate reads the few fields it
/// needs (the model, whether to stream, the output limit) and swaps the model for the one an alias
/// names. Every other member keeps its place and bytes, so options Tollgate does not know still work.
public struct OllamaNativeRequest: Sendable, Equatable {
    private var members: [JSONMember]
    /// The model as the client named it (`model`, or the legacy `name` of `/api/show`).
    public let model: String
    /// Ollama streams unless told `"stream": false`.
    public let stream: Bool
    /// `options.num_predict`, when set.
    public let maxTokens: Int?

    /// Reads `body`; refuses what Ollama itself refuses, with Ollama's words.
    public init(body: [UInt8]) throws(DialectError) {
        guard !body.isEmpty else { throw DialectError(.invalidRequest, "missing request body") }
        let json: JSON
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw DialectError(.invalidRequest, "invalid JSON: \(error.reason)")
        }
        guard let members = json.members else { throw DialectError(.invalidRequest, "the request body must be a JSON object") }
        let named = json["model"]?.string ?? json["name"]?.string ?? ""
        guard !named.isEmpty else { throw DialectError(.invalidRequest, "model is required", param: "model") }
        if let stream = json["stream"], stream.bool == nil, !stream.isNull {
            throw DialectError(.invalidRequest, "invalid value for 'stream': expected a boolean", param: "stream")
        }
        self.members = members
        self.model = named
        self.stream = json["stream"]?.bool ?? true
        self.maxTokens = json["options"]?["num_predict"]?.int.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// The body to send Ollama, addressed to `ollamaModel`.
    public func body(model ollamaModel: String) -> [UInt8] {
        var members = self.members.filter { $0.key != "name" }
        if let index = members.firstIndex(where: { $0.key == "model" }) {
            members[index].value = .string(ollamaModel)
        } else {
            members.insert(JSONMember("model", .string(ollamaModel)), at: 0)
        }
        return JSON.object(members).bytes
    }
}
