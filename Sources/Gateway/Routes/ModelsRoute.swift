import Dialects
import Foundation
import Hummingbird
import NIOCore

/// `GET /v1/models`: the names a client may use, in OpenAI's list shape.
struct ModelsRoute: Sendable {
    let catalog: ModelCatalog

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let models = await catalog.listed().map { name in
            OpenAIModelList.Model(id: name, created: created, ownedBy: name.contains("/") ? String(name.split(separator: "/")[0]) : "library")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAIModelList.json(models))))
    }
}
