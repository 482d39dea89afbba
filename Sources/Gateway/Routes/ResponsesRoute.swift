import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Locking

/// `POST /v1/responses`: OpenAI's Responses API (the OpenAI SDK's `responses.create`, Codex with
/// `wire_api = "responses"`), served by Ollama's `/api/chat` through the same steps as every other model route.
///
/// With `store` (OpenAI's default) the response and its whole effective input are written to PostgreSQL
/// *before* the answer's last event goes out (one insert, at most ``saveDeadline``), so a follow-up naming it
/// in `previous_response_id` the moment the stream ends always finds it. A response too large to store, or
/// one PostgreSQL could not take in time, is answered all the same and a warning is logged; a follow-up
/// naming it gets 400 `previous_response_not_found`.
struct ResponsesRoute: StreamingModelRoute {
    static let endpoint = "/v1/responses"
    /// How long the answer's end may wait for the stored response to be written.
    static let saveDeadline: Duration = .seconds(3)

    let store: ResponsesStore

    struct Call: CarriesChat, Sendable {
        var responses: ResponsesRequest
        var envelope: ResponsesEnvelope
        /// Where the encoder leaves the final response object, when it is to be stored.
        var final: FinalResponse?
        /// Stores the final response; nil with `store: false`.
        var save: (@Sendable () async -> Void)?

        var chat: ChatRequest {
            get { responses.chat }
            set { responses.chat = newValue }
        }
    }

    var dialect: Dialect { .responses }
    var endpoint: String { Self.endpoint }
    var streamContentType: String { ResponsesStreamEncoder.contentType }

    /// Reads the body and, with `previous_response_id`, loads the conversation it continues (the caller's own
    /// responses only). What will be stored is decided here: the input alone over the cap means `store: false`.
    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) async throws -> Call {
        let parsed = try object ?? ResponsesRequest.body(body)
        let owner = context.identity?.keyID ?? "anonymous"
        var history: [JSON] = []
        if let previous = try ResponsesRequest.previousResponseID(in: parsed) {
            guard let stored = try await store.load(id: previous, owner: owner) else {
                throw GatewayError(
                    .invalidRequest, "Previous response with id '\(previous)' not found.", param: "previous_response_id",
                    code: "previous_response_not_found"
                )
            }
            history = stored.history
        }
        var responses = try ResponsesRequest(body: parsed, history: history)
        let storedInput: [UInt8]? = responses.echo.store ? store.encodedInput(history + responses.input) : nil
        if responses.echo.store && storedInput == nil {
            context.logger.warning("response input too large to store; answering with store=false", metadata: ["max_bytes": "\(store.maxBytes)"])
            responses.echo.store = false
        }
        let envelope = ResponsesEnvelope(
            id: ResponsesIDs.random.make("resp"), createdAt: Int(Date().timeIntervalSince1970), model: responses.chat.model,
            echo: responses.echo, toolKinds: responses.toolKinds, now: { Int(Date().timeIntervalSince1970) }
        )
        var call = Call(responses: responses, envelope: envelope)
        if let input = storedInput {
            let final = FinalResponse()
            let (store, logger) = (self.store, context.logger)
            call.final = final
            call.save = {
                guard let object = final.take() else { return }
                await Self.save(store: store, id: envelope.id, owner: owner, model: envelope.model, response: object, input: input, logger: logger)
            }
        }
        return call
    }

    /// The end user is the body's `user`.
    func terms(of call: Call) -> CallTerms {
        let chat = call.responses.chat
        return CallTerms(model: chat.model, stream: chat.stream, maxTokens: chat.options.maxTokens, endUser: call.responses.echo.user)
    }

    /// The stored conversation a call continues is part of its prompt.
    func promptBytes(body: [UInt8], upstream: [UInt8]) -> Int { max(body.count, upstream.count) }

    func translation(for call: Call) -> EncodedStream<NativeChatDecoder, ResponsesStreamEncoder> {
        EncodedStream(decoder: NativeChatDecoder(), encoder: ResponsesStreamEncoder(envelope: call.envelope, onFinish: Self.keep(in: call.final)))
    }

    func answer(_ body: [UInt8], to call: Call, sent: [UInt8], observer: inout RequestMeter) throws -> (body: [UInt8], usage: Usage) {
        let builder = ResponsesAnswer(envelope: call.envelope, onFinish: Self.keep(in: call.final))
        return try built(body, decoder: NativeChatDecoder(), builder: builder, observer: &observer)
    }

    /// The response is stored after its usage record and before its last byte, so a follow-up sent the
    /// moment the answer ends finds it.
    func beforeEnd(_ call: Call) -> (@Sendable () async -> Void)? { call.save }

    private static func keep(in final: FinalResponse?) -> (@Sendable ([UInt8]) -> Void)? {
        guard let final else { return nil }
        return { bytes in final.set(bytes) }
    }

    /// Writes one response, waiting at most ``saveDeadline``; a failure or a timeout is logged, never the client's problem.
    static func save(
        store: ResponsesStore, id: String, owner: String, model: String, response: [UInt8], input: [UInt8], logger: Logger
    ) async {
        let outcome = await withTaskGroup(of: Result<Bool, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await store.save(id: id, owner: owner, model: model, response: response, input: input)) } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: saveDeadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case .success(true)?: break
        case .success(false)?:
            logger.warning("response too large to store; not stored", metadata: ["response_id": "\(id)", "max_bytes": "\(store.maxBytes)"])
        case .failure(let error)?:
            logger.warning("could not store response", metadata: ["response_id": "\(id)", "error": "\(String(reflecting: error))"])
        case nil:
            logger.warning("storing the response took too long; not waiting for it", metadata: ["response_id": "\(id)"])
        }
    }
}

/// The final response object, handed from the encoder (on the stream's task) to the step that stores it.
final class FinalResponse: Sendable {
    private let bytes = Locked<[UInt8]?>(nil)

    func set(_ value: [UInt8]) { bytes.withLock { $0 = value } }

    func take() -> [UInt8]? { bytes.withLock { value in defer { value = nil }; return value } }
}
