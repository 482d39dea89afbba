import Dialects
import Foundation

/// `POST /v1/chat/completions`: OpenAI's chat API, served by Ollama's `/api/chat`.
struct ChatCompletionsRoute: StreamingModelRoute {
    struct Call: CarriesChat, Sendable {
        var chat: ChatRequest
        /// `stream_options.include_usage`: the stream ends with a usage chunk.
        var includeUsage: Bool
        /// One id and creation time for the whole answer; the model as the client named it.
        var envelope: OpenAIChatEnvelope
    }

    var dialect: Dialect { .openai }
    var endpoint: String { "/v1/chat/completions" }
    var streamContentType: String { OpenAIStreamEncoder.contentType }

    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) throws -> Call {
        let openAI = try object.map { json throws(DialectError) in try OpenAIChatRequest(body: json) } ?? OpenAIChatRequest(json: body)
        return Call(chat: openAI.chat, includeUsage: openAI.includeUsage, envelope: .fresh(idPrefix: "chatcmpl-", model: openAI.chat.model))
    }

    func translation(for call: Call) -> EncodedStream<NativeChatDecoder, OpenAIStreamEncoder> {
        EncodedStream(decoder: NativeChatDecoder(), encoder: OpenAIStreamEncoder(envelope: call.envelope, includeUsage: call.includeUsage))
    }

    func answer(_ body: [UInt8], to call: Call, sent: [UInt8], observer: inout RequestMeter) throws -> (body: [UInt8], usage: Usage) {
        try built(body, decoder: NativeChatDecoder(), builder: OpenAIChatResponse(envelope: call.envelope), observer: &observer)
    }
}

extension OpenAIChatEnvelope {
    /// A new answer's envelope: a random id after `idPrefix` (`chatcmpl-`, `cmpl-`), created now, and the
    /// model as the client named it.
    static func fresh(idPrefix: String, model: String) -> OpenAIChatEnvelope {
        OpenAIChatEnvelope(id: idPrefix + RequestID.make().dropFirst(4), created: Int(Date().timeIntervalSince1970), model: model)
    }
}
