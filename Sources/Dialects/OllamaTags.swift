/// Ollama's `GET /api/tags` answer: the models it has.
public struct OllamaTags: Decodable, Sendable, Equatable {
    public struct Model: Decodable, Sendable, Equatable {
        public var name: String
        public var model: String?
        public var modified_at: String?
    }

    public var models: [Model]
}
