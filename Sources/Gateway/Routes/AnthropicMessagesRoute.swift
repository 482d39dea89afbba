import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/messages` (Anthropic's Messages API, as the Anthropic SDK and Claude Code speak it) and
/// `POST /v1/messages/count_tokens`, served by Ollama's `/api/chat`.
struct AnthropicMessagesRoute: Sendable {
    static let endpoint = "/v1/messages"

    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.metered(request, context: context, dialect: .anthropic, endpoint: Self.endpoint) { request, meter in
            var request = request
            let body = try await calls.body(of: &request)
            let messages: AnthropicMessagesRequest
            do throws(DialectError) {
                messages = try AnthropicMessagesRequest(body: body)
            } catch {
                throw GatewayError(error)
            }
            var chat = messages.chat
            meter.requested(model: chat.model, stream: chat.stream)
            let model = try await calls.resolve(chat.model, context: context, meter: &meter)
            await calls.fit(&chat, to: model)
            let limitHeaders = try await calls.admit(
                promptBytes: body.count, maxTokens: chat.options.maxTokens, model: model, context: context, meter: &meter
            )
            let upstream = try await calls.call(
                "/api/chat", body: OllamaChatRequest(chat, ollamaModel: model.ollamaModel).json(), model: chat.model, meter: &meter,
                context: context
            )
            let id = AnthropicID.message()
            var response: Response
            if chat.stream {
                let encoder = AnthropicStreamEncoder(messageID: id, model: chat.model, estimatedInputTokens: messages.estimatedInputTokens)
                response = calls.streamed(
                    upstream, request: request, translation: EncodedStream(decoder: NativeChatDecoder(), encoder: encoder),
                    contentType: AnthropicStreamEncoder.contentType, model: model, meter: meter, context: context
                )
            } else {
                let builder = AnthropicMessageResponse(messageID: id, model: chat.model, estimatedInputTokens: messages.estimatedInputTokens)
                response = try await calls.whole(upstream, decoder: NativeChatDecoder(), builder: builder, model: model, meter: &meter)
            }
            response.headers.append(contentsOf: limitHeaders)
            return response
        }
    }

    /// `POST /v1/messages/count_tokens`: an estimate, not a model call (nothing is metered or limited).
    /// Claude Code asks often; a 404 here degrades its context accounting.
    func countTokens(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        let body = try await calls.body(of: &request)
        let counted: AnthropicCountTokensRequest
        do throws(DialectError) {
            counted = try AnthropicCountTokensRequest(body: body)
        } catch {
            throw GatewayError(error)
        }
        var meter = RequestMeter(context: context, dialect: Dialect.anthropic.rawValue, endpoint: "/v1/messages/count_tokens")
        _ = try await calls.resolve(counted.chat.model, context: context, meter: &meter)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: counted.responseJSON()))
        )
    }
}
