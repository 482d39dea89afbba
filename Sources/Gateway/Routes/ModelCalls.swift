import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Upstream

/// The steps every model route shares, whatever dialect it speaks: read the body, resolve and check
/// the model, admit the request against its key's limits, call Ollama, and log exactly one usage record.
///
/// Each route decodes its own dialect into a native request and picks how to answer (a whole body, a
/// translated stream, or Ollama's own bytes); everything around that lives here, once.
struct ModelCalls: Sendable {
    let fleet: any ModelBackend
    let catalog: any ModelDirectory
    let recorder: any UsageSink
    let admission: any Limiter
    let metrics: GatewayMetrics
    let maxBodyBytes: Int
    /// What of each request and answer payload logging keeps.
    var payloads = PayloadPolicy.off
    /// How long a stream may stay silent before the client gets a keep-alive.
    var keepAliveInterval: Duration = .seconds(10)
    /// How long a streamed call waits for Ollama's answer to begin before answering `200` and waiting
    /// with keep-alives.
    var headGrace: Duration = .seconds(2)
    /// Fetches remote image URLs and inlines them as base64; nil leaves them as they are.
    var remoteImages: RemoteImages?
    /// End users' settings (limits, blocks); nil: end users are recorded but never limited.
    var endUsers: EndUserCache?

    /// Runs `serve` for one authenticated request, guaranteeing it ends in exactly one usage record:
    /// answered, refused, failed upstream, timed out, or abandoned by the client.
    ///
    /// If the client's connection closes before `serve` returns (Ollama is still reading the prompt, say),
    /// `serve` is cancelled at once, which cancels its call to Ollama, and the request ends `client_closed`.
    /// Streams watch the connection themselves once `serve` has returned their response.
    func metered(
        _ request: Request, context: GatewayRequestContext, dialect: Dialect, endpoint: String,
        _ serve: (Request, inout RequestMeter) async throws -> Response
    ) async throws -> Response {
        // The usage journal is full (journal_full_policy: refuse): 503 before any work, and no usage to record.
        try recorder.checkAcceptsNewRequests()
        var meter = RequestMeter(context: context, dialect: dialect.rawValue, endpoint: endpoint, payloads: payloads)
        // The client leaving first cancels the work where it runs (and so its call to Ollama). Nothing waits
        // on the connection but a callback, and no task is made for the request.
        let watcher = context.channel.closeWatcher
        let hangUp = HangUpCancellation()
        let token = watcher?.whenClosed { hangUp.cancel() }
        let result: Result<Response, any Error>
        do {
            result = .success(try await serve(request, &meter))
        } catch {
            result = .failure(error)
        }
        hangUp.disarm()
        if let watcher, let token { watcher.cancel(token) }
        switch result {
        case .success(let response):
            return response
        case .failure(let error):
            let record: UsageRecord? =
                if error is HTTPParserError {
                    nil  // a malformed request is not usage: it never reached the model (answered 400)
                } else if hangUp.hungUp || error is CancellationError {
                    meter.finish(.clientClosed, status: 499, errorType: "client_closed")
                } else if let error = error as? GatewayError {
                    meter.finish(error.error)
                } else if let error = error as? OllamaStatusError {
                    meter.finish(
                        error.outcome, status: error.statusCode,
                        errorType: "ollama: \((OllamaErrorMessage.text(in: error.body) ?? "status \(error.statusCode)").prefix(200))"
                    )
                } else {
                    meter.finish(DialectError(.internalError, "internal error", code: "internal_error"))
                }
            if let record { await recorder.record(record) }
            throw error
        }
    }

    /// The handler that serves `route`'s calls, each answered whole.
    func handler(_ route: some ModelRoute) -> @Sendable (Request, GatewayRequestContext) async throws -> Response {
        { request, context in try await run(route, request, context: context) }
    }

    /// The handler that serves `route`'s calls, streamed when they ask.
    func handler(_ route: some StreamingModelRoute) -> @Sendable (Request, GatewayRequestContext) async throws -> Response {
        { request, context in try await run(route, request, context: context) }
    }

    /// One model call answered whole, whatever its dialect: body → decode → resolve → fit → admit → images →
    /// Ollama → answer → exactly one usage record. `route` supplies the dialect's steps.
    func run<Route: ModelRoute>(_ route: Route, _ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await metered(request, context: context, dialect: route.dialect, endpoint: route.endpoint) { request, meter in
            let prepared = try await prepare(route, request, context: context, meter: &meter)
            return try await answerWhole(route, prepared, context: context, meter: &meter)
        }
    }

    /// One model call of a route that can stream: the same steps, but a call that asks to stream is answered
    /// with the route's translation of Ollama's stream.
    func run<Route: StreamingModelRoute>(_ route: Route, _ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await metered(request, context: context, dialect: route.dialect, endpoint: route.endpoint) { request, meter in
            let prepared = try await prepare(route, request, context: context, meter: &meter)
            guard prepared.terms.stream else { return try await answerWhole(route, prepared, context: context, meter: &meter) }
            return try await answerStreamed(route, prepared, context: context, meter: &meter)
        }
    }

    /// A call ready for Ollama: decoded, its model resolved and allowed, fitted to the model and admitted.
    struct PreparedCall<Route: ModelRoute> {
        var call: Route.Call
        var terms: CallTerms
        var model: ResolvedModel
        /// Ollama's request body.
        var native: [UInt8]
        /// The `x-ratelimit-*` headers the answer carries.
        var limitHeaders: HTTPFields
    }

    /// The steps before Ollama, the same for whole and streamed answers.
    func prepare<Route: ModelRoute>(_ route: Route, _ request: Request, context: GatewayRequestContext, meter: inout RequestMeter)
        async throws -> PreparedCall<Route>
    {
        var request = request
        let body = try await self.body(of: &request)
        // Payload logging and the dialect's decoder share one parse of the body.
        let parsed = meter.capturesPayload ? try? JSONParser.parse(body) : nil
        meter.capturedRequest(body, parsed: parsed, userAgent: request.headers[.userAgent])
        var call: Route.Call
        do {
            call = try await route.decode(body, object: parsed?.members != nil ? parsed : nil, context: context)
        } catch let error as DialectError {
            throw GatewayError(error)
        }
        let terms = route.terms(of: call)
        meter.requested(model: terms.model, stream: terms.stream)
        let model = try await resolve(terms.model, context: context, meter: &meter)
        await route.fit(&call, to: model, catalog: catalog)
        var native = route.upstreamBody(for: call, model: model)
        let limitHeaders = try await admit(
            promptBytes: route.promptBytes(body: body, upstream: native), maxTokens: terms.maxTokens, model: model, context: context, meter: &meter,
            endUser: terms.endUser
        )
        if let remoteImages, try await route.inlineImages(&call, with: remoteImages) {
            native = route.upstreamBody(for: call, model: model)
        }
        return PreparedCall(call: call, terms: terms, model: model, native: native, limitHeaders: limitHeaders)
    }

    /// Ollama's whole answer, in the route's dialect, its usage recorded before it is returned.
    func answerWhole<Route: ModelRoute>(
        _ route: Route, _ prepared: PreparedCall<Route>, context: GatewayRequestContext, meter: inout RequestMeter
    ) async throws -> Response {
        let upstream = try await self.call(
            route.upstreamPath, body: prepared.native, model: prepared.terms.model, meter: &meter, context: context,
            passErrors: route.passesOllamaErrors
        )
        let answer = try await collect(upstream)
        meter.firstToken()
        let (bytes, usage): ([UInt8], Usage)
        do {
            (bytes, usage) = try route.answer(answer, to: prepared.call, sent: prepared.native, observer: &meter)
        } catch let error as DialectError {
            throw GatewayError(error)
        }
        meter.counted(usage, model: prepared.model)
        if let record = meter.finish(.ok, status: 200) { await recorder.record(record) }
        if let beforeEnd = route.beforeEnd(prepared.call) { await beforeEnd() }
        var response = Response(status: .ok, headers: [.contentType: route.answerContentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        response.headers.append(contentsOf: prepared.limitHeaders)
        return response
    }

    /// Ollama's answer streamed through the route's translation; the usage record is written by the stream.
    func answerStreamed<Route: StreamingModelRoute>(
        _ route: Route, _ prepared: PreparedCall<Route>, context: GatewayRequestContext, meter: inout RequestMeter
    ) async throws -> Response {
        let (path, native, model) = (route.upstreamPath, prepared.native, prepared.terms.model)
        let source: UpstreamSource =
            if route.passesOllamaErrors {
                .answered(try await self.call(path, body: native, model: model, meter: &meter, context: context, passErrors: true))
            } else {
                try await startStream(path, body: native, model: model, meter: &meter, context: context)
            }
        var response = streamed(
            source, translation: route.translation(for: prepared.call), contentType: route.streamContentType, model: prepared.model, meter: meter,
            context: context, beforeEnd: route.beforeEnd(prepared.call)
        )
        response.headers.append(contentsOf: prepared.limitHeaders)
        return response
    }

    /// The request body, refused with 413 past the configured size.
    func body(of request: inout Request) async throws -> [UInt8] {
        do {
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw GatewayError(.payloadTooLarge, "The request body is larger than \(maxBodyBytes) bytes.", code: "request_too_large")
        }
    }

    /// The model `name` resolves to, if it exists and the caller's key may use it.
    func resolve(_ name: String, context: GatewayRequestContext, meter: inout RequestMeter) async throws -> ResolvedModel {
        guard let model = await catalog.resolve(name) else {
            if catalog.cannotListOllama {
                throw GatewayError(.upstreamUnavailable, "Ollama is unreachable, so the model `\(name)` cannot be looked up.", code: "upstream_unreachable")
            }
            throw GatewayError(.notFound, "The model `\(name)` does not exist.", param: "model", code: "model_not_found")
        }
        meter.resolved(model)
        if let key = context.identity?.key, !key.allows(model: model.publicName, resolved: model.ollamaModel) {
            throw GatewayError(.permission, "This key is not allowed to use the model `\(name)`.", param: "model", code: "model_not_allowed")
        }
        return model
    }

    /// Checks and charges the limits of the key, its user, its team and the request's end user (the master
    /// key has none); returns the `x-ratelimit-*` headers.
    ///
    /// `endUser` is the end user the body names (OpenAI's `user`, Anthropic's `metadata.user_id`); a trusted
    /// `X-OpenWebUI-User-*` header wins over it. The end user is recorded in the usage row either way.
    func admit(
        promptBytes: Int, maxTokens: Int?, model: ResolvedModel, context: GatewayRequestContext, meter: inout RequestMeter,
        endUser named: String? = nil
    ) async throws -> HTTPFields {
        let endUser = try context.identity?.endUser ?? EndUser.checked(named, source: "user")
        meter.attributed(to: endUser)
        guard let key = context.identity?.key else { return [:] }
        let settings = try await endUserSettings(endUser)
        let decision = try await admission.admit(
            requestID: context.requestID, key: key, endUser: settings, promptBytes: promptBytes, maxTokens: maxTokens, model: model
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

    /// The settings of `endUser` (nil when it has none); a blocked end user is refused with 403.
    private func endUserSettings(_ endUser: String?) async throws -> EndUserSettings? {
        guard let endUser, let endUsers else { return nil }
        let settings: EndUserSettings?
        do {
            settings = try await endUsers.settings(for: endUser)
        } catch {
            metrics.postgresFailed()
            throw GatewayError(.overloaded, "End-user settings are unavailable; try again shortly.", code: "end_user_store_unavailable")
        }
        if settings?.blocked == true {
            throw GatewayError(.permission, "The end user '\(endUser)' is blocked.", param: "user", code: "end_user_blocked")
        }
        return settings
    }

    /// Sends `body` to Ollama's `path`. An error status before the answer began becomes a ``GatewayError``
    /// in the client's dialect or, for native clients (`passErrors`), Ollama's own answer unchanged.
    func call(
        _ path: String, body: [UInt8], model: String, meter: inout RequestMeter, context: GatewayRequestContext, passErrors: Bool = false
    ) async throws -> UpstreamResponse {
        meter.upstreamStarting()
        let (route, lease) = try await slot(body: body, model: model, meter: meter, context: context)
        let result: Result<UpstreamResponse, any Error>
        do {
            result = .success(try await fleet.post(path, body: body, request: route, lease: lease, ticket: meter.fleet))
        } catch {
            result = .failure(error)
        }
        return try await checked(result, path: path, model: model, context: context, passErrors: passErrors)
    }

    /// A backend slot for the call (waiting in the fleet's queue if every candidate is busy), refused with
    /// 503 and `Retry-After` in the caller's dialect when there is none.
    func slot(body: [UInt8], model: String, meter: RequestMeter, context: GatewayRequestContext) async throws
        -> (FleetState.Request, FleetLease)
    {
        var route = meter.route ?? FleetState.Request(model: ModelName.normalized(model))
        if fleet.hasSeveralBackends { route.conversation = ConversationKey.of(nativeBody: body, keyID: meter.record.keyID, model: route.model) }
        do {
            return (route, try await fleet.acquire(route))
        } catch Fleet.Refusal.unavailable where !fleet.anyBackendHas(route.model) && !catalog.cannotListOllama {
            // An alias whose Ollama model no backend has: as Ollama itself would answer.
            throw GatewayError(.notFound, "The model `\(model)` does not exist.", param: "model", code: "model_not_found")
        } catch let refusal as Fleet.Refusal {
            throw FleetErrors.gatewayError(refusal, model: model, settings: fleet.settings)
        }
    }

    /// Starts a streamed call. Ollama's answer gets ``headGrace`` to begin, so that its refusals (unknown
    /// model, bad request) are still proper HTTP errors; after that the client is answered `200` at once and
    /// the stream waits for Ollama with keep-alives (loading a model or reading a long prompt can take minutes,
    /// longer than proxies and SDKs wait for a silent connection).
    func startStream(_ path: String, body: [UInt8], model: String, meter: inout RequestMeter, context: GatewayRequestContext)
        async throws -> UpstreamSource
    {
        meter.upstreamStarting()
        let (route, lease) = try await slot(body: body, model: model, meter: meter, context: context)
        let (fleet, ticket) = (self.fleet, meter.fleet)
        let pending = PendingUpstream { try await fleet.post(path, body: body, request: route, lease: lease, ticket: ticket) }
        guard let result = await pending.wait(upTo: headGrace) else { return .pending(pending) }
        return .answered(try await checked(result, path: path, model: model, context: context, passErrors: false))
    }

    /// Ollama's answer if it began well; otherwise the error the client should get.
    func checked(
        _ result: Result<UpstreamResponse, any Error>, path: String, model: String, context: GatewayRequestContext, passErrors: Bool
    ) async throws -> UpstreamResponse {
        let upstream: UpstreamResponse
        switch result {
        case .success(let response):
            upstream = response
        case .failure(let error as UpstreamError):
            context.logger.warning("ollama call failed", metadata: ["error": "\(error)", "path": "\(path)"])
            throw GatewayError(UpstreamErrors.dialectError(error))
        case .failure(let refusal as Fleet.Refusal):
            throw FleetErrors.gatewayError(refusal, model: model, settings: fleet.settings)
        case .failure(let error):
            throw error
        }
        guard upstream.status == 200 else {
            let errorBody = (try? await upstream.body.collect(upTo: 64 * 1024)) ?? []
            if passErrors { throw OllamaStatusError(statusCode: upstream.status, body: errorBody) }
            throw GatewayError(UpstreamErrors.dialectError(status: upstream.status, body: errorBody, model: model))
        }
        return upstream
    }

    /// Ollama's whole answer (up to 256 MiB).
    func collect(_ upstream: UpstreamResponse) async throws -> [UInt8] {
        do {
            return try await upstream.body.collect(upTo: 256 * 1024 * 1024)
        } catch let error as UpstreamError {
            throw GatewayError(UpstreamErrors.dialectError(error))
        }
    }
}
