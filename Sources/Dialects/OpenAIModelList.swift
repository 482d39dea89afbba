/// One OpenAI model object, `GET /v1/models/{id}`: `{"id","object":"model","created","owned_by"}`.
public struct OpenAIModel: Sendable, Equatable {
    public var id: String
    public var created: Int
    public var ownedBy: String

    public init(id: String, created: Int, ownedBy: String) {
        self.id = id
        self.created = created
        self.ownedBy = ownedBy
    }

    /// A model named `name`, owned by its namespace as Ollama reads it (`library` when there is none).
    public init(id: String, created: Int) {
        self.init(id: id, created: created, ownedBy: Self.owner(of: id))
    }

    /// The namespace of an Ollama model name: `user` in `user/model:tag` and `host/user/model:tag`, else `library`.
    public static func owner(of name: String) -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count >= 2 && !parts[parts.count - 2].isEmpty ? String(parts[parts.count - 2]) : "library"
    }

    /// The object as JSON bytes.
    public func json() -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        write(to: &json)
        return json.bytes
    }

    func write(to json: inout JSONWriter) {
        json.raw("{\"id\":")
        json.string(id)
        json.raw(",\"object\":\"model\",\"created\":")
        json.int(created)
        json.raw(",\"owned_by\":")
        json.string(ownedBy)
        json.raw("}")
    }
}

/// OpenAI's `GET /v1/models` list.
public enum OpenAIModelList {
    public typealias Model = OpenAIModel

    public static func json(_ models: [Model]) -> [UInt8] {
        var json = JSONWriter(capacity: 64 * models.count + 32)
        json.raw("{\"object\":\"list\",\"data\":[")
        for (index, model) in models.enumerated() {
            if index > 0 { json.raw(",") }
            model.write(to: &json)
        }
        json.raw("]}")
        return json.bytes
    }
}
