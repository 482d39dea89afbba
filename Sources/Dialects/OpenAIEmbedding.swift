/// OpenAI's `POST /v1/embeddings` request, checked field by field; sent to Ollama's `/api/embed`.
///
/// `input` is a string (`""` is one empty input) or an array of strings; null, `[]` and token arrays are 400s.
/// `encoding_format` is `float` or `base64`, any case, default `float` (the OpenAI Python SDK asks for base64).
public struct OpenAIEmbeddingRequest: Sendable, Equatable {
    public enum EncodingFormat: String, Sendable, Equatable {
        case float, base64
    }

    public var embedding: EmbeddingRequest
    public var encodingFormat: EncodingFormat
    /// `user`: the person behind the call, for attribution and their limits; never sent to Ollama.
    public var user: String? = nil

    public init(json bytes: some Collection<UInt8>) throws(DialectError) {
        try self.init(body: RequestField.body(bytes))
    }

    public init(body: JSON) throws(DialectError) {
        guard case .object = body else { throw DialectError(.invalidRequest, "The request body must be a JSON object.") }
        guard let model = try body.stringField("model"), !model.isEmpty else {
            throw DialectError(.invalidRequest, "You must provide a model parameter.", param: "model")
        }
        let inputs = try Self.inputs(body.present("input"))
        var format = EncodingFormat.float
        if let name = try body.stringField("encoding_format") {
            guard let known = EncodingFormat(rawValue: name.lowercased()) else {
                throw DialectError(
                    .invalidRequest, "Invalid value for 'encoding_format' = \(name). Supported values: ['float', 'base64'].",
                    param: "encoding_format"
                )
            }
            format = known
        }
        let dimensions = try body.intField("dimensions")
        if let dimensions, dimensions < 1 { throw RequestField.invalidValue("dimensions", "must be at least 1.") }
        self.embedding = EmbeddingRequest(model: model, inputs: inputs, dimensions: dimensions)
        self.encodingFormat = format
        self.user = try body.stringField("user")
    }

    static func inputs(_ value: JSON?) throws(DialectError) -> [String] {
        switch value {
        case nil:
            throw DialectError(.invalidRequest, "Missing required parameter: 'input'.", param: "input")
        case .string(let text)?:
            return [text]
        case .array(let elements)?:
            guard !elements.isEmpty else {
                throw DialectError(.invalidRequest, "Invalid value for 'input': expected a non-empty string or array of strings.", param: "input")
            }
            var inputs: [String] = []
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let text): inputs.append(text)
                case .number, .array: throw DialectError(.invalidRequest, "token arrays are not supported; send the input as text.", param: "input")
                default: throw RequestField.invalidType("input[\(index)]", expected: "a string")
                }
            }
            return inputs
        default:
            throw RequestField.invalidType("input", expected: "a string or an array of strings")
        }
    }
}

/// OpenAI's embeddings answer, built from Ollama's `/api/embed` answer.
///
/// `{"object":"list","data":[{"object":"embedding","embedding":[…]|"<base64>","index":i}],"model","usage"}`.
/// Float vectors keep Ollama's number text; base64 is the little-endian float32 bytes.
public struct OpenAIEmbeddingResponse: Sendable, Equatable {
    /// The vectors, each number as Ollama wrote it.
    public var embeddings: [[String]]
    /// Ollama's `prompt_eval_count` (0 when absent), for metering.
    public var promptTokens: Int

    /// Reads Ollama's `{"embeddings":[[…]],"prompt_eval_count":N}`; anything else is an upstream failure.
    public init(ollamaJSON bytes: some Collection<UInt8>) throws(DialectError) {
        let unreadable = DialectError(.upstreamUnavailable, "Ollama's embedding answer could not be read.", code: "upstream_error")
        guard let body = try? JSONParser.parse(bytes), case .object = body else { throw unreadable }
        if let message = body["error"]?.string { throw DialectError(.upstreamUnavailable, "Ollama failed: \(message)", code: "upstream_error") }
        var embeddings: [[String]] = []
        for vector in body["embeddings"]?.array ?? [] {
            guard let numbers = vector.array else { throw unreadable }
            var texts: [String] = []
            texts.reserveCapacity(numbers.count)
            for number in numbers {
                guard case .number(let text) = number else { throw unreadable }
                texts.append(text)
            }
            embeddings.append(texts)
        }
        self.embeddings = embeddings
        self.promptTokens = body["prompt_eval_count"]?.int ?? 0
    }

    /// The OpenAI JSON, naming `model` as the client did.
    public func json(model: String, encodingFormat: OpenAIEmbeddingRequest.EncodingFormat) -> [UInt8] {
        let size = embeddings.reduce(128) { $0 + $1.count * 12 }
        var json = JSONWriter(capacity: size)
        json.raw("{\"object\":\"list\",\"data\":[")
        for (index, vector) in embeddings.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"object\":\"embedding\",\"embedding\":")
            switch encodingFormat {
            case .float:
                json.raw("[")
                json.raw(vector.joined(separator: ","))
                json.raw("]")
            case .base64:
                json.string(Self.base64(vector))
            }
            json.raw(",\"index\":")
            json.int(index)
            json.raw("}")
        }
        json.raw("],\"model\":")
        json.string(model)
        json.raw(",\"usage\":{\"prompt_tokens\":")
        json.int(promptTokens)
        json.raw(",\"total_tokens\":")
        json.int(promptTokens)
        json.raw("}}")
        return json.bytes
    }

    /// The vector as little-endian float32 bytes in base64, as the OpenAI SDKs decode it.
    static func base64(_ vector: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for text in vector {
            let bits = (Float(text) ?? 0).bitPattern.littleEndian
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        return Base64.encode(bytes)
    }
}
