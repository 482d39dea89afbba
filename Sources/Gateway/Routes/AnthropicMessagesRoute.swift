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
        try await calls.chat(
            request, context: context, dialect: .anthropic, endpoint: Self.endpoint,
            decode: { body throws(DialectError) in
                let messages = try AnthropicMessagesRequest(body: body)
                return (messages.chat, messages.estimatedInputTokens)
            },
            encoder: { chat, estimate in
                AnthropicStreamEncoder(messageID: AnthropicID.message(), model: chat.model, estimatedInputTokens: estimate)
            },
            builder: { chat, estimate in
                AnthropicMessageResponse(messageID: AnthropicID.message(), model: chat.model, estimatedInputTokens: estimate)
            }
        )
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
