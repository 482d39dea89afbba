/// Turns Ollama's native chat objects into ``ChatEvent``s.
///
/// A value type fed one decoded object at a time. The final (`done: true`) object may still carry text,
/// so its message is emitted before the finish event. Ollama omits zero metrics; they count as 0.
public struct NativeChatDecoder: Sendable {
    public private(set) var isFinished = false
    /// Tokens seen so far: the real counts once finished, otherwise text chunks received.
    public private(set) var usage = Usage()

    public init() {}

    /// Decodes one NDJSON line (without its `\n`). A line that is not a JSON object is an upstream failure.
    public mutating func decode(line: [UInt8]) -> [ChatEvent] {
        guard !line.isEmpty, !isFinished else { return [] }
        guard let chunk = line.withUnsafeBytes(NativeChunkParser.parse) else {
            isFinished = true
            return [.failed(message: "upstream sent a line that is not JSON")]
        }
        return decode(chunk)
    }

    public mutating func decode(line: some Collection<UInt8>) -> [ChatEvent] {
        decode(line: Array(line))
    }

    public mutating func decode(_ chunk: OllamaChatChunk) -> [ChatEvent] {
        guard !isFinished else { return [] }
        if let error = chunk.error {
            isFinished = true
            return [.failed(message: error)]
        }
        var events: [ChatEvent] = []
        if let thinking = chunk.message?.thinking, !thinking.isEmpty { events.append(.thinking(thinking)) }
        if let content = chunk.message?.content, !content.isEmpty {
            events.append(.text(content))
            usage.completionTokens += 1
        }
        if chunk.done == true {
            isFinished = true
            usage = Usage(
                promptTokens: chunk.prompt_eval_count ?? 0,
                completionTokens: chunk.eval_count ?? 0,
                totalNanoseconds: chunk.total_duration,
                loadNanoseconds: chunk.load_duration,
                promptEvalNanoseconds: chunk.prompt_eval_duration,
                evalNanoseconds: chunk.eval_duration
            )
            let reason: FinishReason = chunk.done_reason == "length" ? .length : .stop
            events.append(.finished(Completion(finishReason: reason, usage: usage)))
        }
        return events
    }
}
