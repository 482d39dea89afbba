import Dialects

/// `POST /v1/embeddings`: OpenAI's embeddings, served by Ollama's `/api/embed`; floats or base64. Never streamed.
struct OpenAIEmbeddingsRoute: ModelRoute {
    var dialect: Dialect { .openai }
    var endpoint: String { "/v1/embeddings" }
    var upstreamPath: String { "/api/embed" }

    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) throws -> OpenAIEmbeddingRequest {
        try object.map { json throws(DialectError) in try OpenAIEmbeddingRequest(body: json) } ?? OpenAIEmbeddingRequest(json: body)
    }

    func terms(of call: OpenAIEmbeddingRequest) -> CallTerms {
        CallTerms(model: call.embedding.model, stream: false, maxTokens: 0, endUser: call.user)
    }

    func upstreamBody(for call: OpenAIEmbeddingRequest, model: ResolvedModel) -> [UInt8] {
        OllamaEmbedRequest(call.embedding, ollamaModel: model.ollamaModel).json()
    }

    func answer(_ body: [UInt8], to call: OpenAIEmbeddingRequest, sent: [UInt8], observer: inout RequestMeter) throws
        -> (body: [UInt8], usage: Usage)
    {
        let embeddings = try OpenAIEmbeddingResponse(ollamaJSON: body)
        return (embeddings.json(model: call.embedding.model, encodingFormat: call.encodingFormat), Usage(promptTokens: embeddings.promptTokens))
    }
}
