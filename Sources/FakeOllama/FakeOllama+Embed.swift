import Hummingbird

extension FakeOllama {
    /// `POST /api/embed`: one L2-normalised, deterministic vector per input (length = the model's
    /// embedding length, or `dimensions` when smaller), `prompt_eval_count` = whitespace-separated
    /// words over all inputs. Empty input (`""` or `[]`) ⇒ `{"model":..,"embeddings":[]}`.
    func handleEmbed(_ body: [UInt8], started: ContinuousClock.Instant) -> Response {
        do throws(RequestError) {
            let object = try GoDecoding.object(body, goType: "EmbedRequest")
            let name = try GoDecoding.string(object, "model", in: "EmbedRequest") ?? ""
            let keepAlive = try GoDecoding.keepAlive(object)
            let dimensions = try GoDecoding.int(object, "dimensions", in: "EmbedRequest") ?? 0
            _ = try GoDecoding.bool(object, "truncate", in: "EmbedRequest")
            guard !name.isEmpty else { throw RequestError.badRequest("model is required") }
            guard let model = models.lookup(name) else {
                throw RequestError(status: 404, message: "model '\(name)' not found")
            }
            var inputs: [String]
            switch object["input"] {
            case .none, .null?: inputs = []
            case .string(let text)?: inputs = text.isEmpty ? [] : [text]
            case .array(let items)?:
                inputs = items.compactMap(\.stringValue)
                guard inputs.count == items.count else { throw RequestError.badRequest("invalid input type") }
            default: throw RequestError.badRequest("invalid input type")
            }
            if inputs.isEmpty { return .json(.obj(("model", .string(name)), ("embeddings", .array([])))) }
            guard let length = model.embeddingLength else {
                throw RequestError.badRequest("\"\(name)\" does not support embeddings")
            }
            let size = dimensions > 0 ? min(dimensions, length) : length
            noteLoaded(model, keepAlive: keepAlive)
            let vectors: [JSONValue] = inputs.map { input in
                let raw = Self.vector(for: input, model: model, length: length).prefix(size)
                let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return .array(raw.map { .float(Float($0 / norm)) })
            }
            let words = inputs.reduce(0) { $0 + GenerationRequest.words($1) }
            let elapsed = ContinuousClock.now - started
            let total = 3_000_000 + elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000
            return .json(.obj(
                ("model", .string(name)),
                ("embeddings", .array(vectors)),
                ("total_duration", .int(total)),
                ("load_duration", .int(1_234_567)),
                ("prompt_eval_count", words > 0 ? .int(Int64(words)) : nil)
            ))
        } catch {
            return .error(error)
        }
    }

    /// `POST /api/embeddings` (legacy): `{"embedding":[...]}` with the same direction as
    /// `/api/embed` but not normalised. Empty prompt ⇒ `{"embedding":[]}`.
    func handleLegacyEmbeddings(_ body: [UInt8]) -> Response {
        do throws(RequestError) {
            let object = try GoDecoding.object(body, goType: "EmbeddingRequest")
            let name = try GoDecoding.string(object, "model", in: "EmbeddingRequest") ?? ""
            let prompt = try GoDecoding.string(object, "prompt", in: "EmbeddingRequest") ?? ""
            let keepAlive = try GoDecoding.keepAlive(object)
            guard !name.isEmpty else { throw RequestError.badRequest("model is required") }
            guard let model = models.lookup(name) else {
                throw RequestError(status: 404, message: "model \"\(name)\" not found, try pulling it first")
            }
            guard !prompt.isEmpty else { return .json(.obj(("embedding", .array([])))) }
            guard let length = model.embeddingLength else {
                throw RequestError(status: 500, message: "this model does not support embeddings")
            }
            noteLoaded(model, keepAlive: keepAlive)
            let vector = Self.vector(for: prompt, model: model, length: length)
            return .json(.obj(("embedding", .array(vector.map(JSONValue.double)))))
        } catch {
            return .error(error)
        }
    }

    /// A deterministic pseudo-random vector for `text` (values in [-2, 2)), seeded by model and text.
    static func vector(for text: String, model: FakeModel, length: Int) -> [Double] {
        var generator = StableHash(model.name + "\u{0}" + text)
        return (0..<length).map { _ in generator.nextUnit() * 2 }
    }
}
