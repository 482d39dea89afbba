import Dialects

/// `POST /v1/completions`: OpenAI's legacy text completions (what editor plugins use for
/// fill-in-the-middle), served by Ollama's `/api/generate`.
struct OpenAICompletionsRoute: StreamingModelRoute {
    struct Call: Sendable {
        var openAI: OpenAICompletionRequest
        var envelope: OpenAIChatEnvelope
    }

    var dialect: Dialect { .openai }
    var endpoint: String { "/v1/completions" }
    var upstreamPath: String { "/api/generate" }
    var streamContentType: String { OpenAICompletionStreamEncoder.contentType }

    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) throws -> Call {
        let openAI = try object.map { json throws(DialectError) in try OpenAICompletionRequest(body: json) } ?? OpenAICompletionRequest(json: body)
        return Call(openAI: openAI, envelope: .fresh(idPrefix: "cmpl-", model: openAI.completion.model))
    }

    func terms(of call: Call) -> CallTerms {
        let completion = call.openAI.completion
        return CallTerms(model: completion.model, stream: completion.stream, maxTokens: completion.options.maxTokens, endUser: call.openAI.user)
    }

    func upstreamBody(for call: Call, model: ResolvedModel) -> [UInt8] {
        OllamaGenerateRequest(call.openAI.completion, ollamaModel: model.ollamaModel).json()
    }

    func translation(for call: Call) -> EncodedStream<NativeGenerateDecoder, OpenAICompletionStreamEncoder> {
        EncodedStream(
            decoder: NativeGenerateDecoder(),
            encoder: OpenAICompletionStreamEncoder(envelope: call.envelope, includeUsage: call.openAI.includeUsage)
        )
    }

    func answer(_ body: [UInt8], to call: Call, sent: [UInt8], observer: inout RequestMeter) throws -> (body: [UInt8], usage: Usage) {
        try built(body, decoder: NativeGenerateDecoder(), builder: OpenAICompletionResponse(envelope: call.envelope), observer: &observer)
    }
}
