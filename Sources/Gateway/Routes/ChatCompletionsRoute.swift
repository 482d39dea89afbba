import Dialects
import Foundation
import Hummingbird

/// `POST /v1/chat/completions`: OpenAI's chat API, served by Ollama's `/api/chat`.
struct ChatCompletionsRoute: Sendable {
    static let endpoint = "/v1/chat/completions"

    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.metered(request, context: context, dialect: .openai, endpoint: Self.endpoint) { request, meter in
            var request = request
            let body = try await calls.body(of: &request)
            let openAI: OpenAIChatRequest
            do throws(DialectError) {
                openAI = try OpenAIChatRequest(json: body)
            } catch {
                throw GatewayError(error)
            }
            var chat = openAI.chat
            meter.requested(model: chat.model, stream: chat.stream)
            let model = try await calls.resolve(chat.model, context: context, meter: &meter)
            await calls.fit(&chat, to: model)
            let limitHeaders = try await calls.admit(
                promptBytes: body.count, maxTokens: chat.options.maxTokens, model: model, context: context, meter: &meter
            )
            let upstream = try await calls.call(
                "/api/chat", body: OllamaChatRequest(chat, ollamaModel: model.ollamaModel).json(), model: chat.model, meter: &meter, context: context
            )
            let envelope = OpenAIChatEnvelope(
                id: "chatcmpl-" + RequestID.make().dropFirst(4), created: Int(Date().timeIntervalSince1970), model: chat.model
            )
            var response: Response
            if chat.stream {
                let translation = EncodedStream(
                    decoder: NativeChatDecoder(), encoder: OpenAIStreamEncoder(envelope: envelope, includeUsage: openAI.includeUsage)
                )
                response = calls.streamed(
                    upstream, request: request, translation: translation, contentType: OpenAIStreamEncoder.contentType, model: model,
                    meter: meter, context: context
                )
            } else {
                response = try await calls.whole(
                    upstream, decoder: NativeChatDecoder(), builder: OpenAIChatResponse(envelope: envelope), model: model, meter: &meter
                )
            }
            response.headers.append(contentsOf: limitHeaders)
            return response
        }
    }
}
