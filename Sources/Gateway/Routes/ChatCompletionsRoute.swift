import Dialects
import Foundation
import Hummingbird

/// `POST /v1/chat/completions`: OpenAI's chat API, served by Ollama's `/api/chat`.
struct ChatCompletionsRoute: Sendable {
    static let endpoint = "/v1/chat/completions"

    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.chat(
            request, context: context, dialect: .openai, endpoint: Self.endpoint,
            decode: { body throws(DialectError) in
                let openAI = try OpenAIChatRequest(json: body)
                return (openAI.chat, openAI.includeUsage)
            },
            encoder: { chat, includeUsage in OpenAIStreamEncoder(envelope: Self.envelope(chat), includeUsage: includeUsage) },
            builder: { chat, _ in OpenAIChatResponse(envelope: Self.envelope(chat)) }
        )
    }

    /// One id and creation time for the whole answer; the model as the client named it.
    static func envelope(_ chat: ChatRequest) -> OpenAIChatEnvelope {
        OpenAIChatEnvelope(id: "chatcmpl-" + RequestID.make().dropFirst(4), created: Int(Date().timeIntervalSince1970), model: chat.model)
    }
}
