import Dialects
import Foundation
import Hummingbird
import NIOCore

/// `GET /v1/models` and `GET /v1/models/{id}`: the names this key may use (aliases first, then Ollama's
/// models), in OpenAI's shape, or Anthropic's when the caller sends `anthropic-version`.
struct ModelsRoute: Sendable {
    let catalog: ModelCatalog

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let names = await visibleNames(context)
        let created = Int(Date().timeIntervalSince1970)
        let body: [UInt8] =
            switch Dialect(request: request) {
            case .anthropic: AnthropicModelList.json(names.map { AnthropicModelList.Model(id: $0, created: created) })
            default: OpenAIModelList.json(names.map { OpenAIModel(id: $0, created: created) })
            }
        return Self.answer(body)
    }

    func retrieve(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // A catch-all, so ids with a namespace (`hf.co/user/repo:Q4_K_M`) route too.
        let id = context.parameters.getCatchAll().joined(separator: "/")
        guard let resolved = await catalog.resolve(id), context.identity?.key?.allows(model: id, resolved: resolved.ollamaModel) ?? true else {
            throw GatewayError(.notFound, "The model `\(id)` does not exist.", param: "model", code: "model_not_found")
        }
        let created = Int(Date().timeIntervalSince1970)
        let body: [UInt8] =
            switch Dialect(request: request) {
            case .anthropic: AnthropicModelList.json(model: AnthropicModelList.Model(id: id, created: created))
            default: OpenAIModel(id: id, created: created).json()
            }
        return Self.answer(body)
    }

    /// Every listed name the caller's key may use.
    private func visibleNames(_ context: GatewayRequestContext) async -> [String] {
        guard let key = context.identity?.key else { return await catalog.listed() }
        var visible: [String] = []
        for name in await catalog.listed() {
            if let resolved = await catalog.resolve(name), key.allows(model: name, resolved: resolved.ollamaModel) { visible.append(name) }
        }
        return visible
    }

    private static func answer(_ body: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
