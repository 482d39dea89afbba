/// Turns Ollama's `/api/generate` objects into ``ChatEvent``s: `thinking` → `.thinking`, `response` → `.text`,
/// the final object → `.finished`, an error line → `.failed`.
///
/// The chat decoder itself: ``NativeChunkParser`` reads a generate object's top-level `response` and
/// `thinking` as a chat message's content and thinking, so one set of rules serves both endpoints.
public typealias NativeGenerateDecoder = NativeChatDecoder
