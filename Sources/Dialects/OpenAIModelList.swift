/// OpenAI's `GET /v1/models` list.
public enum OpenAIModelList {
    public struct Model: Sendable, Equatable {
        public var id: String
        public var created: Int
        public var ownedBy: String

        public init(id: String, created: Int, ownedBy: String) {
            self.id = id
            self.created = created
            self.ownedBy = ownedBy
        }
    }

    public static func json(_ models: [Model]) -> [UInt8] {
        var json = JSONWriter(capacity: 64 * models.count + 32)
        json.raw("{\"object\":\"list\",\"data\":[")
        for (index, model) in models.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"id\":")
            json.string(model.id)
            json.raw(",\"object\":\"model\",\"created\":")
            json.int(model.created)
            json.raw(",\"owned_by\":")
            json.string(model.ownedBy)
            json.raw("}")
        }
        json.raw("]}")
        return json.bytes
    }
}
