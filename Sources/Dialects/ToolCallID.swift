/// Ids for tool calls that arrive without one (Ollama before #12956 sends none).
public enum ToolCallID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `call_` and 8 random characters of `[a-z0-9]`, Ollama's own format.
    @Sendable public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return "call_" + String(decoding: (0..<8).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }
}
