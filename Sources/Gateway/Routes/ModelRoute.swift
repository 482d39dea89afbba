import Dialects
import Hummingbird

/// One dialect's side of a model call: how its request body becomes Ollama's, and how Ollama's whole
/// answer becomes its own. ``ModelCalls/run(_:_:context:)`` does every other step, once for all dialects.
/// A route whose calls may also be streamed is a ``StreamingModelRoute``; any other is answered whole.
///
/// A route is a small value with no I/O of its own (the Responses route's store is the exception: it
/// loads the conversation a call continues, and saves the answer before its last byte).
protocol ModelRoute: Sendable {
    /// The decoded request, with whatever else the dialect needs to answer it.
    associatedtype Call: Sendable

    /// The dialect errors are written in and usage rows name.
    var dialect: Dialect { get }
    /// The endpoint usage rows name (`/v1/chat/completions`).
    var endpoint: String { get }
    /// Ollama's endpoint the call goes to (`/api/chat`).
    var upstreamPath: String { get }
    /// True for Ollama's own clients: Ollama's error answers reach them unchanged, and a stream waits for
    /// Ollama's answer to begin instead of answering `200` early (NDJSON has no keep-alive to send).
    var passesOllamaErrors: Bool { get }
    /// The `Content-Type` of a whole answer.
    var answerContentType: String { get }

    /// Reads the request body. Throws the dialect's refusal (``DialectError``, answered 400) for a bad one.
    /// `object` is the body already parsed when it is a JSON object and payload logging parsed it (so it is
    /// parsed once); nil otherwise, and the route parses `body` itself.
    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) async throws -> Call
    /// What the runner needs to know of the call before it goes to Ollama.
    func terms(of call: Call) -> CallTerms
    /// Drops what `model` cannot do (a chat call asking a model without thinking to think).
    func fit(_ call: inout Call, to model: ResolvedModel, catalog: any ModelDirectory) async
    /// Ollama's request body for the call.
    func upstreamBody(for call: Call, model: ResolvedModel) -> [UInt8]
    /// The prompt's size in bytes, from which admission estimates its tokens: the client's body, or more
    /// when the call adds to it (a Responses call continuing a stored conversation).
    func promptBytes(body: [UInt8], upstream: [UInt8]) -> Int
    /// Inlines the call's remote images (only after admission, so a key over its limits makes no fetches);
    /// true when the call changed and its upstream body must be made again.
    func inlineImages(_ call: inout Call, with images: RemoteImages) async throws -> Bool
    /// The whole answer's body, from Ollama's; the observer (the request's meter) sees each event.
    /// Throws when Ollama's answer says it failed. `sent` is the body the call sent to Ollama.
    func answer(_ body: [UInt8], to call: Call, sent: [UInt8], observer: inout RequestMeter) throws -> (body: [UInt8], usage: Usage)
    /// Work to do after a completed answer's usage record and before its last byte; nil when there is none.
    func beforeEnd(_ call: Call) -> (@Sendable () async -> Void)?
}

/// A model route whose calls are streamed when they ask (`stream: true`): how Ollama's streamed answer
/// becomes the dialect's stream. The runner streams only for these; the embedding routes are not.
protocol StreamingModelRoute: ModelRoute {
    /// How a streamed answer's bytes are translated.
    associatedtype Translation: StreamTranslation

    /// The `Content-Type` of a streamed answer.
    var streamContentType: String { get }

    /// The streamed answer's translation.
    func translation(for call: Call) -> Translation
}

/// What a route tells the runner about one call.
struct CallTerms {
    /// The model as the client named it.
    var model: String
    var stream: Bool
    /// The most tokens the answer may have, when the client said (limits reserve tokens by it).
    var maxTokens: Int?
    /// The end user the body names (OpenAI's `user`, Anthropic's `metadata.user_id`).
    var endUser: String?
}

extension ModelRoute {
    var passesOllamaErrors: Bool { false }
    var answerContentType: String { "application/json" }

    func fit(_ call: inout Call, to model: ResolvedModel, catalog: any ModelDirectory) async {}
    func promptBytes(body: [UInt8], upstream: [UInt8]) -> Int { body.count }
    func inlineImages(_ call: inout Call, with images: RemoteImages) async throws -> Bool { false }
    func beforeEnd(_ call: Call) -> (@Sendable () async -> Void)? { nil }
}

/// A call that carries a chat request: the steps only chat calls have, shared.
protocol CarriesChat {
    var chat: ChatRequest { get set }
}

extension ModelRoute where Call: CarriesChat {
    var upstreamPath: String { "/api/chat" }

    func terms(of call: Call) -> CallTerms {
        CallTerms(model: call.chat.model, stream: call.chat.stream, maxTokens: call.chat.options.maxTokens, endUser: call.chat.endUser)
    }

    func upstreamBody(for call: Call, model: ResolvedModel) -> [UInt8] {
        OllamaChatRequest(call.chat, ollamaModel: model.ollamaModel).json()
    }

    /// A request to think sent to a model without the `thinking` capability is answered without thinking
    /// (Claude Code asks every model to think; Ollama would answer 400).
    func fit(_ call: inout Call, to model: ResolvedModel, catalog: any ModelDirectory) async {
        guard call.chat.think != nil, let capabilities = await catalog.capabilities(of: model.ollamaModel) else { return }
        if !capabilities.contains("thinking") { call.chat.think = nil }
    }

    func inlineImages(_ call: inout Call, with images: RemoteImages) async throws -> Bool {
        guard call.chat.hasRemoteImages else { return false }
        try await images.inline(&call.chat)
        return true
    }
}

extension RequestMeter: AnswerObserver {}

extension ModelRoute {
    /// A whole answer collected by a dialect's `builder`; Ollama's failure, or an answer that ended before
    /// its `done` line, is the client's 502.
    func built(_ body: [UInt8], decoder: some NativeEventDecoder, builder: some ChatAnswerBuilder, observer: inout RequestMeter) throws
        -> (body: [UInt8], usage: Usage)
    {
        let builder = WholeAnswer.build(body, decoder: decoder, into: builder, observer: &observer)
        guard let completion = builder.completion, builder.failure == nil else {
            throw GatewayError(.upstreamUnavailable, "Ollama failed: \(builder.failure ?? "the answer ended early")", code: "upstream_error")
        }
        return (builder.json(), completion.usage)
    }
}
