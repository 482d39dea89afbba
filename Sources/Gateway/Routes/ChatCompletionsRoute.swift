import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Upstream

/// `POST /v1/chat/completions`: OpenAI's chat API, served by Ollama's `/api/chat`.
///
/// Every request that gets here (it is authenticated) ends in exactly one usage record: answered,
/// refused, failed upstream, timed out, or abandoned by the client.
struct ChatCompletionsRoute: Sendable {
    static let endpoint = "/v1/chat/completions"

    let ollama: OllamaClient
    let catalog: ModelCatalog
    let recorder: UsageRecorder
    let admission: Admission
    let metrics: GatewayMetrics
    let maxBodyBytes: Int
    /// What of each request and answer is kept in `request_payloads`.
    var payloads = PayloadPolicy.off

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var meter = RequestMeter(context: context, dialect: "openai", endpoint: Self.endpoint, payloads: payloads)
        do {
            return try await serve(request, context: context, meter: &meter)
        } catch let error as GatewayError {
            if let record = meter.finish(error.error) { recorder.record(record) }
            throw error
        } catch {
            // Anything else (the client went away during a non-streamed call) still ends the request once.
            let record =
                error is CancellationError
                ? meter.finish(.clientClosed, status: 499, errorType: "client_closed")
                : meter.finish(DialectError(.internalError, "internal error", code: "internal_error"))
            if let record { recorder.record(record) }
            throw error
        }
    }

    private func serve(_ request: Request, context: GatewayRequestContext, meter: inout RequestMeter) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw GatewayError(.payloadTooLarge, "The request body is larger than \(maxBodyBytes) bytes.", code: "request_too_large")
        }
        meter.capturedRequest(body.readableBytesView, userAgent: request.headers[.userAgent])
        let openAI: OpenAIChatRequest
        do {
            openAI = try JSONDecoder().decode(OpenAIChatRequest.self, from: Data(body.readableBytesView))
        } catch {
            throw GatewayError(DialectError(decoding: error))
        }
        let chat: ChatRequest
        do {
            chat = try openAI.chatRequest()
        } catch {
            throw GatewayError(error)
        }
        meter.requested(model: chat.model, stream: chat.stream)
        guard let model = await catalog.resolve(chat.model) else {
            throw GatewayError(.notFound, "The model `\(chat.model)` does not exist.", param: "model", code: "model_not_found")
        }
        meter.resolved(model, backend: ollama.baseURL)
        if let key = context.identity?.key, !key.allows(model: chat.model, resolved: model.ollamaModel) {
            throw GatewayError(.permission, "This key is not allowed to use the model `\(chat.model)`.", param: "model", code: "model_not_allowed")
        }
        let rateLimitFields = try await admit(body: body, chat: chat, model: model, context: context, meter: &meter)
        meter.upstreamStarting()

        let upstream: UpstreamResponse
        do {
            upstream = try await ollama.chat(OllamaChatRequest(chat, ollamaModel: model.ollamaModel))
        } catch let error as UpstreamError {
            context.logger.warning("ollama call failed", metadata: ["error": "\(error)"])
            throw GatewayError(UpstreamErrors.dialectError(error))
        }
        guard upstream.status == 200 else {
            let errorBody = (try? await upstream.body.collect(upTo: 64 * 1024)) ?? []
            throw GatewayError(UpstreamErrors.dialectError(status: upstream.status, body: errorBody, model: chat.model))
        }
        let envelope = OpenAIChatEnvelope(id: "chatcmpl-" + RequestID.make().dropFirst(4), created: Int(Date().timeIntervalSince1970), model: chat.model)
        var response =
            chat.stream
            ? streamed(upstream, envelope: envelope, includeUsage: openAI.includeUsage, model: model, meter: meter, logger: context.logger)
            : try await whole(upstream, envelope: envelope, model: model, meter: &meter)
        response.headers.append(contentsOf: rateLimitFields)
        return response
    }

    /// Checks and charges the key's limits (the master key has none); returns the `x-ratelimit-*` headers.
    private func admit(
        body: ByteBuffer, chat: ChatRequest, model: ResolvedModel, context: GatewayRequestContext, meter: inout RequestMeter
    ) async throws -> HTTPFields {
        guard let key = context.identity?.key else { return [:] }
        let decision = try await admission.admit(
            requestID: context.requestID, key: key, promptBytes: body.readableBytes, maxTokens: chat.options.maxTokens, model: model
        )
        switch decision {
        case .admitted(let ticket, let headers):
            meter.admitted(ticket)
            return headers.fields
        case .refused(let limit, let subject, let retryAfterMs, let headers):
            metrics.limiterRejected(limit)
            throw AdmissionDecision.error(limit: limit, subject: subject, retryAfterMs: retryAfterMs, headers: headers)
        }
    }

    /// A non-streamed answer: read Ollama's one object, answer one `chat.completion`.
    private func whole(_ upstream: UpstreamResponse, envelope: OpenAIChatEnvelope, model: ResolvedModel, meter: inout RequestMeter) async throws -> Response {
        meter.firstToken()
        var answer = OpenAIChatResponse(envelope: envelope)
        var decoder = NativeChatDecoder()
        var splitter = LineSplitter()
        do {
            for try await chunk in upstream.body {
                for line in splitter.append(chunk) { decoder.decode(line: line).forEach { answer.add($0); meter.capturedResponse($0) } }
            }
            if let last = splitter.finish() { decoder.decode(line: last).forEach { answer.add($0); meter.capturedResponse($0) } }
        } catch let error as UpstreamError {
            throw GatewayError(UpstreamErrors.dialectError(error))
        }
        guard let completion = answer.completion, answer.failure == nil else {
            throw GatewayError(.upstreamUnavailable, "Ollama failed: \(answer.failure ?? "the answer ended early")", code: "upstream_error")
        }
        meter.counted(completion.usage, model: model)
        if let record = meter.finish(.ok, status: 200) { recorder.record(record) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer.json())))
    }

    /// A streamed answer: translate Ollama's NDJSON into OpenAI's SSE as each line arrives.
    private func streamed(
        _ upstream: UpstreamResponse, envelope: OpenAIChatEnvelope, includeUsage: Bool, model: ResolvedModel, meter: RequestMeter,
        logger: Logger
    ) -> Response {
        let recorder = self.recorder
        let body = ResponseBody { writer in
            var meter = meter
            var pump = StreamPump(encoder: OpenAIStreamEncoder(envelope: envelope, includeUsage: includeUsage))
            let ending = await pump.run(upstream.body, meter: &meter) { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
            if case .clientGone = ending { upstream.body.cancel() } else { try? await writer.finish(nil) }
            meter.counted(pump.decoder.usage, model: model)
            let record: UsageRecord? =
                switch ending {
                case .completed: meter.finish(.ok, status: 200)
                case .clientGone: meter.finish(.clientClosed, status: 499, errorType: "client_closed")
                case .upstreamFailed(let message):
                    meter.finish(.upstreamError, status: 200, errorType: "upstream_error: \(message.prefix(200))")
                }
            if let record { recorder.record(record) }
            if case .upstreamFailed(let message) = ending {
                logger.warning("ollama stream failed", metadata: ["error": "\(message)"])
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }
}
