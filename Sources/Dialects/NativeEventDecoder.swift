/// Reads Ollama's native NDJSON answer (one line at a time) as ``ChatEvent``s.
///
/// `/api/chat` and `/api/generate` answers have different shapes but end the same way, so the routes
/// stream either through the same pump.
public protocol NativeEventDecoder: Sendable {
    /// True once the answer ended: its `done` line, or an error.
    var isFinished: Bool { get }
    /// Tokens so far; the real counts once finished.
    var usage: Usage { get }
    /// The events one line (without its `\n`) carries.
    mutating func decode(line: [UInt8]) -> [ChatEvent]
}

extension NativeChatDecoder: NativeEventDecoder {}
