import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Upstream

/// Turns what went wrong upstream into what the client is told.
enum UpstreamErrors {
    /// A failure to get any answer from Ollama: 502 when it is unreachable or broken, 504 when it is slow.
    static func dialectError(_ error: UpstreamError) -> DialectError {
        switch error.code {
        case .connectFailed:
            DialectError(.upstreamUnavailable, "Ollama is unreachable; check that it runs at the configured address.", code: "upstream_unreachable")
        case .connectTimeout:
            DialectError(.upstreamTimeout, "Timed out connecting to Ollama.", code: "upstream_timeout")
        case .firstByteTimeout:
            DialectError(.upstreamTimeout, "Ollama did not start answering in time.", code: "upstream_timeout")
        case .idleTimeout:
            DialectError(.upstreamTimeout, "Ollama stopped sending in the middle of its answer.", code: "upstream_timeout")
        case .totalTimeout:
            DialectError(.upstreamTimeout, "Ollama did not finish answering within the request time limit.", code: "upstream_timeout")
        default:
            DialectError(.upstreamUnavailable, "The connection to Ollama failed.", code: "upstream_error")
        }
    }

    /// Ollama answered with an error status before streaming (`{"error": "…"}` body).
    static func dialectError(status: Int, body: [UInt8], model: String) -> DialectError {
        let message = OllamaErrorMessage.text(in: body) ?? "status \(status)"
        switch status {
        case 404:
            return DialectError(.notFound, "The model `\(model)` does not exist.", param: "model", code: "model_not_found")
        case 400:
            return DialectError(.invalidRequest, "Ollama rejected the request: \(message)")
        case 503:
            return DialectError(.overloaded, "Ollama is busy; try again shortly.", code: "upstream_busy")
        default:
            return DialectError(.upstreamUnavailable, "Ollama failed: \(message)", code: "upstream_error")
        }
    }
}

/// Ollama's own error answer, passed to a native client as Ollama sent it (status and body).
struct OllamaStatusError: HTTPResponseError {
    let statusCode: Int
    let body: [UInt8]

    var status: HTTPResponse.Status { .init(code: statusCode) }

    /// How the usage log files it.
    var outcome: UsageRecord.Outcome { (400..<500).contains(statusCode) ? .clientError : .upstreamError }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
