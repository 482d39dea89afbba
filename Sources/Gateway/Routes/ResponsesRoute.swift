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
struct ResponsesRoute: Sendable {
    static let endpoint = "/v1/responses"
    /// How long the answer's end may wait for the stored response to be written.
    static let saveDeadline: Duration = .seconds(3)

    let calls: ModelCalls
    let store: ResponsesStore

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await calls.metered(request, context: context, dialect: .responses, endpoint: Self.endpoint) { request, meter in
            try await self.serve(request, meter: &meter, context: context)
        }
    }

    private func serve(_ request: Request, meter: inout RequestMeter, context: GatewayRequestContext) async throws -> Response {
        var request = request
        let body = try await calls.body(of: &request, meter: &meter)
        let parsed: JSON = try Self.decoded { () throws(DialectError) -> JSON in try ResponsesRequest.body(body) }
        let owner = context.identity?.keyID ?? "anonymous"
        var history: [JSON] = []
        let previousID: String? = try Self.decoded { () throws(DialectError) -> String? in try ResponsesRequest.previousResponseID(in: parsed) }
        if let previous = previousID {
            guard let stored = try await store.load(id: previous, owner: owner) else {
                throw GatewayError(
                    .invalidRequest, "Previous response with id '\(previous)' not found.", param: "previous_response_id",
                    code: "previous_response_not_found"
                )
            }
            history = stored.history
        }
        let earlier = history
        var responses: ResponsesRequest = try Self.decoded { () throws(DialectError) -> ResponsesRequest in
            try ResponsesRequest(body: parsed, history: earlier)
        }
        meter.requested(model: responses.chat.model, stream: responses.chat.stream)
        let model = try await calls.resolve(responses.chat.model, context: context, meter: &meter)
        await calls.fit(&responses.chat, to: model)
        var native = OllamaChatRequest(responses.chat, ollamaModel: model.ollamaModel).json()
        let limitHeaders = try await calls.admit(
            promptBytes: max(body.count, native.count), maxTokens: responses.chat.options.maxTokens, model: model, context: context,
            meter: &meter, endUser: responses.echo.user
        )
        // Remote images are fetched only for an admitted call, so a key over its limits cannot make the gateway fetch.
        if let remoteImages = calls.remoteImages, responses.chat.hasRemoteImages {
            try await remoteImages.inline(&responses.chat)
            native = OllamaChatRequest(responses.chat, ollamaModel: model.ollamaModel).json()
        }

        // What will be stored, decided before the answer: the input alone over the cap means store: false.
        let storedInput: [UInt8]? = responses.echo.store ? store.encodedInput(history + responses.input) : nil
        if responses.echo.store && storedInput == nil {
            context.logger.warning("response input too large to store; answering with store=false", metadata: ["max_bytes": "\(store.maxBytes)"])
            responses.echo.store = false
        }
        let envelope = ResponsesEnvelope(
            id: ResponsesIDs.random.make("resp"), createdAt: Int(Date().timeIntervalSince1970), model: responses.chat.model,
            echo: responses.echo, toolKinds: responses.toolKinds, now: { Int(Date().timeIntervalSince1970) }
        )
        let final = FinalResponse()
        var onFinish: (@Sendable ([UInt8]) -> Void)?
        var save: (@Sendable () async -> Void)?
        if let input = storedInput {
            onFinish = { bytes in final.set(bytes) }
            let store = self.store
            let logger = context.logger
            save = {
                guard let object = final.take() else { return }
                await Self.save(store: store, id: envelope.id, owner: owner, model: envelope.model, response: object, input: input, logger: logger)
            }
        }
        var response: Response
        if responses.chat.stream {
            let source = try await calls.startStream("/api/chat", body: native, model: responses.chat.model, meter: &meter, context: context)
            let encoder = ResponsesStreamEncoder(envelope: envelope, onFinish: onFinish)
            response = calls.streamed(
                source, request: request, translation: EncodedStream(decoder: NativeChatDecoder(), encoder: encoder),
                contentType: ResponsesStreamEncoder.contentType, model: model, meter: meter, context: context, beforeEnd: save
            )
        } else {
            let upstream = try await calls.call("/api/chat", body: native, model: responses.chat.model, meter: &meter, context: context)
            let builder = ResponsesAnswer(envelope: envelope, onFinish: onFinish)
            response = try await calls.whole(upstream, decoder: NativeChatDecoder(), builder: builder, model: model, meter: &meter)
            if let save { await save() }
        }
        response.headers.append(contentsOf: limitHeaders)
        return response
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

    /// A dialect decoder's refusal as the client's error.
    static func decoded<T>(_ decode: () throws(DialectError) -> T) throws -> T {
        do throws(DialectError) {
            return try decode()
        } catch {
            throw GatewayError(error)
        }
    }
}

/// The final response object, handed from the encoder (on the stream's task) to the step that stores it.
final class FinalResponse: Sendable {
    private let bytes = Locked<[UInt8]?>(nil)

    func set(_ value: [UInt8]) { bytes.withLock { $0 = value } }

    func take() -> [UInt8]? { bytes.withLock { value in defer { value = nil }; return value } }
}
