import Dialects
import HTTPTypes
import Hummingbird

extension Dialect {
    static let anthropicVersionHeader = HTTPField.Name("anthropic-version")!

    /// The dialect a request speaks, judged by its path (and, on the shared `/v1/models`, by the
    /// `anthropic-version` header Anthropic's SDK always sends). Errors are answered in it.
    init(request: Request) {
        let path = request.uri.path
        if path == "/" || path.hasPrefix("/api/") {
            self = .ollama
        } else if path.hasPrefix("/v1/messages") || request.headers[Self.anthropicVersionHeader] != nil {
            self = .anthropic
        } else {
            self = .openai
        }
    }
}
