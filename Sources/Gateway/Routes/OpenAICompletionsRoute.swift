import Dialects
import Foundation
import Hummingbird

/// `POST /v1/completions`: OpenAI's legacy text completions (what editor plugins use for
/// fill-in-the-middle), served by Ollama's `/api/generate`.
struct OpenAICompletionsRoute: Sendable {
    static let endpoint = "/v1/completions"

    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.metered(request, context: context, dialect: .openai, endpoint: Self.endpoint) { request, meter in
            var request = request
            let body = try await calls.body(of: &request, meter: &meter)
            let openAI: OpenAICompletionRequest
            do throws(DialectError) {
                openAI = try OpenAICompletionRequest(json: body)
            } catch {
                throw GatewayError(error)
            }
            let completion = openAI.completion
            meter.requested(model: completion.model, stream: completion.stream)
            let model = try await calls.resolve(completion.model, context: context, meter: &meter)
            let limitHeaders = try await calls.admit(
                promptBytes: body.count, maxTokens: completion.options.maxTokens, model: model, context: context, meter: &meter,
                endUser: openAI.user
            )
            let native = OllamaGenerateRequest(completion, ollamaModel: model.ollamaModel).json()
            let envelope = OpenAIChatEnvelope(
                id: "cmpl-" + RequestID.make().dropFirst(4), created: Int(Date().timeIntervalSince1970), model: completion.model
            )
            var response: Response
            if completion.stream {
                let encoder = OpenAICompletionStreamEncoder(envelope: envelope, includeUsage: openAI.includeUsage)
                let source = try await calls.startStream("/api/generate", body: native, model: completion.model, meter: &meter, context: context)
                response = calls.streamed(
                    source, request: request, translation: EncodedStream(decoder: NativeGenerateDecoder(), encoder: encoder),
                    contentType: OpenAICompletionStreamEncoder.contentType, model: model, meter: meter, context: context
                )
            } else {
                let upstream = try await calls.call("/api/generate", body: native, model: completion.model, meter: &meter, context: context)
                response = try await calls.whole(
                    upstream, decoder: NativeGenerateDecoder(), builder: OpenAICompletionResponse(envelope: envelope), model: model,
                    meter: &meter
                )
            }
            response.headers.append(contentsOf: limitHeaders)
            return response
        }
    }
}
