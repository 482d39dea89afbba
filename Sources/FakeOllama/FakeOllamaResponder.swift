import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Locking

/// Routes requests to the fake's handlers, recording each one first.
///
/// Unknown paths and wrong methods get gin's default `404 page not found` (text/plain), as Ollama does.
struct FakeOllamaResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let server: FakeOllama

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        var buffer = try await request.body.collect(upTo: 512 << 20)
        let body = buffer.readBytes(length: buffer.readableBytes) ?? []
        let path = request.uri.path
        if server.recording {
            let fields = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            let record = RecordedRequest(
                method: request.method.rawValue, path: path, query: request.uri.query,
                headerFields: fields, body: Data(body)
            )
            server.state.withLock { $0.recorded.append(record) }
        }
        let isHead = request.method == .head
        let response: Response
        switch (request.method, path) {
        case (.get, "/"), (.head, "/"):
            response = .text("Ollama is running")
        case (.get, "/api/version"), (.head, "/api/version"):
            response = .json(.obj(("version", .string(FakeOllama.version))))
        case (.get, "/api/tags"), (.head, "/api/tags"):
            response = server.handleTags()
        case (.post, "/api/show"):
            response = server.handleShow(body)
        case (.get, "/api/ps"), (.head, "/api/ps"):
            response = server.handlePS()
        case (.post, "/api/chat"):
            response = try await server.handleGeneration(body, kind: .chat, started: started)
        case (.post, "/api/generate"):
            response = try await server.handleGeneration(body, kind: .generate, started: started)
        case (.post, "/api/embed"):
            response = server.handleEmbed(body, started: started)
        case (.post, "/api/embeddings"):
            response = server.handleLegacyEmbeddings(body)
        default:
            response = Response(
                status: .notFound, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: "404 page not found"))
            )
        }
        return isHead ? response.withoutBody() : response
    }
}

extension FakeOllama {
    /// The version `/api/version` reports.
    static let version = "0.12.0"
}

extension Response {
    /// `application/json; charset=utf-8` response with `value` as the body (no trailing newline, like gin's `c.JSON`).
    static func json(_ value: JSONValue, status: Int = 200) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.encoded()))
        )
    }

    /// Ollama's error shape `{"error": message}`.
    static func error(_ status: Int, _ message: String) -> Response {
        .json(.obj(("error", .string(message))), status: status)
    }

    static func error(_ error: RequestError) -> Response { .error(error.status, error.message) }

    static func text(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The same head (keeping `Content-Length`) without a body, for `HEAD` requests.
    func withoutBody() -> Response {
        var headers = self.headers
        if let length = body.contentLength { headers[.contentLength] = String(length) }
        return Response(status: status, headers: headers, body: .init())
    }
}
