import Dialects
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/embeddings`: OpenAI's embeddings, served by Ollama's `/api/embed`; floats or base64.
struct OpenAIEmbeddingsRoute: Sendable {
    static let endpoint = "/v1/embeddings"

    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.metered(request, context: context, dialect: .openai, endpoint: Self.endpoint) { request, meter in
            var request = request
            let body = try await calls.body(of: &request, meter: &meter)
            let openAI: OpenAIEmbeddingRequest
            do throws(DialectError) {
                openAI = try OpenAIEmbeddingRequest(json: body)
            } catch {
                throw GatewayError(error)
            }
            meter.requested(model: openAI.embedding.model, stream: false)
            let model = try await calls.resolve(openAI.embedding.model, context: context, meter: &meter)
            let limitHeaders = try await calls.admit(
                promptBytes: body.count, maxTokens: 0, model: model, context: context, meter: &meter, endUser: openAI.user
            )
            let upstream = try await calls.call(
                "/api/embed", body: OllamaEmbedRequest(openAI.embedding, ollamaModel: model.ollamaModel).json(),
                model: openAI.embedding.model, meter: &meter, context: context
            )
            let answer = try await calls.collect(upstream)
            meter.firstToken()
            let embeddings: OpenAIEmbeddingResponse
            do throws(DialectError) {
                embeddings = try OpenAIEmbeddingResponse(ollamaJSON: answer)
            } catch {
                throw GatewayError(error)
            }
            meter.counted(Usage(promptTokens: embeddings.promptTokens), model: model)
            if let record = meter.finish(.ok, status: 200) { calls.recorder.record(record) }
            var response = Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: embeddings.json(model: openAI.embedding.model, encodingFormat: openAI.encodingFormat)))
            )
            response.headers.append(contentsOf: limitHeaders)
            return response
        }
    }
}
