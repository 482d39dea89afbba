import Dialects
import Foundation
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
        default:
            DialectError(.upstreamUnavailable, "The connection to Ollama failed.", code: "upstream_error")
        }
    }

    /// Ollama answered with an error status before streaming (`{"error": "…"}` body).
    static func dialectError(status: Int, body: [UInt8], model: String) -> DialectError {
        let message = (try? JSONDecoder().decode(OllamaError.self, from: Data(body)))?.error ?? "status \(status)"
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
