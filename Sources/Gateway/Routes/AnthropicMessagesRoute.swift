import Dialects
import Hummingbird
import NIOCore

/// `POST /v1/messages`: Anthropic's Messages API, as the Anthropic SDK and Claude Code speak it, served by
/// Ollama's `/api/chat`.
struct AnthropicMessagesRoute: StreamingModelRoute {
    struct Call: CarriesChat, Sendable {
        var chat: ChatRequest
        /// Anthropic reports input tokens before the answer; until Ollama counts them, this estimate.
        var estimatedInputTokens: Int
        var messageID: String
    }

    var dialect: Dialect { .anthropic }
    var endpoint: String { "/v1/messages" }
    var streamContentType: String { AnthropicStreamEncoder.contentType }

    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) throws -> Call {
        let messages = try object.map { json throws(DialectError) in try AnthropicMessagesRequest(json: json) } ?? AnthropicMessagesRequest(body: body)
        return Call(chat: messages.chat, estimatedInputTokens: messages.estimatedInputTokens, messageID: AnthropicID.message())
    }

    func translation(for call: Call) -> EncodedStream<NativeChatDecoder, AnthropicStreamEncoder> {
        EncodedStream(
            decoder: NativeChatDecoder(),
            encoder: AnthropicStreamEncoder(messageID: call.messageID, model: call.chat.model, estimatedInputTokens: call.estimatedInputTokens)
        )
    }

    func answer(_ body: [UInt8], to call: Call, sent: [UInt8], observer: inout RequestMeter) throws -> (body: [UInt8], usage: Usage) {
        let builder = AnthropicMessageResponse(messageID: call.messageID, model: call.chat.model, estimatedInputTokens: call.estimatedInputTokens)
        return try built(body, decoder: NativeChatDecoder(), builder: builder, observer: &observer)
    }
}

/// `POST /v1/messages/count_tokens`: an estimate, not a model call (nothing is metered or limited), for
/// models the key may use. Claude Code asks often; a 404 here degrades its context accounting.
struct AnthropicCountTokensRoute: Sendable {
    let calls: ModelCalls

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
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
