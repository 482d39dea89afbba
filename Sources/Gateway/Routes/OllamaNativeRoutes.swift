import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Upstream

/// Ollama's own API behind keys, aliases, limits and metering. An Ollama client given
/// `Authorization: Bearer <key>` works as if Tollgate were Ollama: bodies go through with only the model
/// swapped (for aliases), answers come back byte for byte, and Ollama's errors keep Ollama's words.
struct OllamaNativeRoutes: Sendable {
    static let ndjson = "application/x-ndjson"
    static let json = "application/json; charset=utf-8"

    /// For the body, the model's resolution and the answer's collection, as model calls do them.
    let calls: ModelCalls
    let fleet: Fleet
    let catalog: ModelCatalog

    /// `GET /` and `HEAD /`: Ollama's liveness answer, which clients probe before anything else.
    static func root(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Ollama is running")))
    }

    /// `POST /api/show`: a model's details, for models the key may use, from a healthy backend that has it
    /// (metadata takes no backend slot).
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        var meter = RequestMeter(context: context, dialect: Dialect.ollama.rawValue, endpoint: "/api/show")
        let native = try await decode(&request)
        let model = try await calls.resolve(native.model, context: context, meter: &meter)
        let upstream = try await call(model: model.ollamaModel) { try await $0.post("/api/show", body: native.body(model: model.ollamaModel)) }
        return Response(status: .ok, headers: [.contentType: Self.json], body: .init(byteBuffer: ByteBuffer(bytes: try await calls.collect(upstream))))
    }

    /// `GET /api/tags`: the aliases and models of the fleet this key may use, in Ollama's shape, each once.
    /// An alias is listed under its own name with the details of the model behind it.
    func tags(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let installed = try listing(fleet.tagEntries())
        let byName = Dictionary(installed.map { (($0["name"]?.string ?? ""), $0) }, uniquingKeysWith: { first, _ in first })
        var models: [JSON] = []
        for name in await catalog.listed() {
            guard let resolved = await catalog.resolve(name), allowed(name, resolved: resolved, context: context) else { continue }
            guard case .object(var members) = byName[resolved.ollamaModel] ?? byName[name] ?? .object([]) else { continue }
            for key in ["name", "model"] {
                if let index = members.firstIndex(where: { $0.key == key }) {
                    members[index].value = .string(name)
                } else {
                    members.append(JSONMember(key, .string(name)))
                }
            }
            models.append(.object(members))
        }
        return Self.answer(.object([JSONMember("models", .array(models))]))
    }

    /// `GET /api/ps`: the models loaded somewhere in the fleet that this key may use, each once.
    ///
    /// Clients read it to see what is loaded right now, so it asks every backend at the time of the call
    /// (one discovery pass, shared with any already running, each backend bounded by `probe_timeout_ms`).
    func running(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await fleet.discover()
        var visible: [JSON] = []
        for model in try listing(fleet.runningEntries()) {
            let name = model["name"]?.string ?? ""
            guard let resolved = await catalog.resolve(name), allowed(name, resolved: resolved, context: context) else { continue }
            visible.append(model)
        }
        return Self.answer(.object([JSONMember("models", .array(visible))]))
    }

    /// `GET /api/version`: Ollama's version, as a healthy backend reports it.
    func version(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let upstream = try await call(model: nil) { try await $0.get("/api/version") }
        return Response(status: .ok, headers: [.contentType: Self.json], body: .init(byteBuffer: ByteBuffer(bytes: try await calls.collect(upstream))))
    }

    // MARK: Steps

    /// The native request in `request`'s body; Ollama's words for a bad one.
    private func decode(_ request: inout Request) async throws -> OllamaNativeRequest {
        do {
            return try OllamaNativeRequest(body: try await calls.body(of: &request))
        } catch let error as DialectError {
            throw GatewayError(error)
        }
    }

    /// A call that takes no backend slot, to a healthy backend that has `model` (any, when nil).
    private func call(model: String?, _ send: (OllamaClient) async throws -> UpstreamResponse) async throws -> UpstreamResponse {
        guard let client = fleet.client(for: model) else {
            throw FleetErrors.gatewayError(.unavailable, model: model ?? "any model", settings: fleet.settings)
        }
        let upstream: UpstreamResponse
        do {
            upstream = try await send(client)
        } catch let error as UpstreamError {
            throw GatewayError(UpstreamErrors.dialectError(error))
        }
        guard upstream.status == 200 else {
            throw OllamaStatusError(statusCode: upstream.status, body: (try? await upstream.body.collect(upTo: 64 * 1024)) ?? [])
        }
        return upstream
    }

    /// A fleet listing; when no backend could be listed, 503 (an empty list would read as "no models").
    private func listing(_ entries: [JSON]) throws -> [JSON] {
        if entries.isEmpty && catalog.cannotListOllama {
            throw FleetErrors.gatewayError(.unavailable, model: "any model", settings: fleet.settings)
        }
        return entries
    }

    private func allowed(_ name: String, resolved: ResolvedModel, context: GatewayRequestContext) -> Bool {
        context.identity?.key?.allows(model: name, resolved: resolved.ollamaModel) ?? true
    }

    private static func answer(_ json: JSON) -> Response {
        Response(status: .ok, headers: [.contentType: Self.json], body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}

/// `POST /api/chat` and `POST /api/generate` for Ollama's own clients: the body goes through with only the
/// model swapped (for aliases), the answer comes back byte for byte, and is decoded on the side for metering.
struct OllamaGenerationRoute<Decoder: NativeEventDecoder>: StreamingModelRoute {
    /// `/api/chat` or `/api/generate`, the same path upstream.
    let endpoint: String
    /// Reads the endpoint's answers for metering.
    let decoder: Decoder

    var streamContentType: String { OllamaNativeRoutes.ndjson }

    func terms(of call: OllamaNativeRequest) -> CallTerms { CallTerms(model: call.model, stream: call.stream, maxTokens: call.maxTokens) }

    func translation(for call: OllamaNativeRequest) -> NativeStream<Decoder> { NativeStream(decoder: decoder) }

    /// Ollama's one object, returned as it came, its usage read on the side.
    func answer(_ body: [UInt8], to call: OllamaNativeRequest, sent: [UInt8], observer: inout RequestMeter) throws
        -> (body: [UInt8], usage: Usage)
    {
        var decoder = decoder
        let events = decoder.decode(line: body)
        events.forEach { observer.observe($0) }
        if case .failed(let message) = events.last {
            throw GatewayError(.upstreamUnavailable, "Ollama failed: \(message)", code: "upstream_error")
        }
        return (body, decoder.usage)
    }
}

/// `POST /api/embed` and the legacy `POST /api/embeddings` for Ollama's own clients; never streamed.
struct OllamaEmbeddingRoute: ModelRoute {
    /// `/api/embed` or `/api/embeddings`, the same path upstream.
    let endpoint: String

    func terms(of call: OllamaNativeRequest) -> CallTerms { CallTerms(model: call.model, stream: false, maxTokens: 0) }

    /// `/api/embed` reports the tokens it read; the legacy endpoint does not, so they are estimated from what was sent.
    func answer(_ body: [UInt8], to call: OllamaNativeRequest, sent: [UInt8], observer: inout RequestMeter) throws
        -> (body: [UInt8], usage: Usage)
    {
        let promptTokens = (try? JSONParser.parse(body))?["prompt_eval_count"]?.int ?? max(1, (sent.count - 40) / 4)
        return (body, Usage(promptTokens: promptTokens))
    }
}

/// What Ollama's own routes share: the body goes to the same path upstream with only the model swapped,
/// and Ollama's errors reach the client unchanged.
extension ModelRoute where Call == OllamaNativeRequest {
    var dialect: Dialect { .ollama }
    var upstreamPath: String { endpoint }
    var passesOllamaErrors: Bool { true }
    var answerContentType: String { OllamaNativeRoutes.json }

    /// Ollama's own bodies are read from their bytes, which go on to Ollama with only the model swapped.
    func decode(_ body: [UInt8], object: JSON?, context: GatewayRequestContext) throws -> OllamaNativeRequest {
        try OllamaNativeRequest(body: body)
    }

    func upstreamBody(for call: OllamaNativeRequest, model: ResolvedModel) -> [UInt8] { call.body(model: model.ollamaModel) }
}
