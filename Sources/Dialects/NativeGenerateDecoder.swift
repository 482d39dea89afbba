/// Turns Ollama's `/api/generate` objects into ``ChatEvent``s: `thinking` → `.thinking`, `response` → `.text`,
/// the final object → `.finished`, an error line → `.failed`. The same rules as ``NativeChatDecoder``.
public struct NativeGenerateDecoder: Sendable {
    public private(set) var isFinished = false
    /// Tokens seen so far: the real counts once finished, otherwise chunks received.
    public private(set) var usage = Usage()

    public init() {}

    /// Decodes one NDJSON line (without its `\n`). A line that is not a JSON object is an upstream failure.
    public mutating func decode(line: [UInt8]) -> [ChatEvent] {
        guard !line.isEmpty, !isFinished else { return [] }
        guard let chunk = line.withUnsafeBytes(NativeChunkParser.parseGenerate) else {
            isFinished = true
            return [.failed(message: "upstream sent a line that is not JSON")]
        }
        return decode(chunk)
    }

    public mutating func decode(line: some Collection<UInt8>) -> [ChatEvent] {
        decode(line: Array(line))
    }

    public mutating func decode(_ chunk: OllamaGenerateChunk) -> [ChatEvent] {
        guard !isFinished else { return [] }
        if let error = chunk.error {
            isFinished = true
            return [.failed(message: error)]
        }
        var events: [ChatEvent] = []
        if let thinking = chunk.thinking, !thinking.isEmpty {
            events.append(.thinking(thinking))
            usage.completionTokens += 1
        }
        if let response = chunk.response, !response.isEmpty {
            events.append(.text(response))
            usage.completionTokens += 1
        }
        if chunk.done == true {
            isFinished = true
            usage = NativeFinish.usage(
                prompt: chunk.prompt_eval_count, eval: chunk.eval_count, total: chunk.total_duration, load: chunk.load_duration,
                promptEval: chunk.prompt_eval_duration, evalDuration: chunk.eval_duration
            )
            events.append(.finished(Completion(finishReason: NativeFinish.reason(chunk.done_reason), usage: usage)))
        }
        return events
    }
}
