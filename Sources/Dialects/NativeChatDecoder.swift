/// Turns Ollama's native chat objects into ``ChatEvent``s.
///
/// A value type fed one decoded object at a time. Per object the events come in the order thinking, text,
/// log probabilities, tool calls; the final (`done: true`) object may still carry any of them, so its message is emitted
/// before the finish event. Tool calls without an id get one (`call_` + 8 of `[a-z0-9]`). Ollama omits
/// zero metrics; they count as 0. A missing or empty `done_reason` (and `load`/`unload`) means stop.
public struct NativeChatDecoder: Sendable {
    public private(set) var isFinished = false
    /// Tokens seen so far: the real counts once finished, otherwise text and thinking chunks received.
    public private(set) var usage = Usage()
    private let makeToolCallID: @Sendable () -> String

    /// - Parameter makeToolCallID: Makes the id of a tool call Ollama sent without one.
    public init(makeToolCallID: @escaping @Sendable () -> String = ToolCallID.random) {
        self.makeToolCallID = makeToolCallID
    }

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
        if let thinking = chunk.message?.thinking, !thinking.isEmpty {
            events.append(.thinking(thinking))
            usage.completionTokens += 1
        }
        if let content = chunk.message?.content, !content.isEmpty {
            events.append(.text(content))
            usage.completionTokens += 1
        }
        if !chunk.logprobs.isEmpty { events.append(.logprobs(chunk.logprobs)) }
        for var call in chunk.message?.toolCalls ?? [] {
            if call.id.isEmpty { call.id = makeToolCallID() }
            events.append(.toolCall(call))
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

/// How native final chunks (chat and generate alike) end an answer.
enum NativeFinish {
    /// `length` is the only reason that is not a plain stop (`stop`, absent, `""`, `load`, `unload`).
    static func reason(_ doneReason: String?) -> FinishReason {
        doneReason == "length" ? .length : .stop
    }

    static func usage(prompt: Int?, eval: Int?, total: Int64?, load: Int64?, promptEval: Int64?, evalDuration: Int64?) -> Usage {
        Usage(
            promptTokens: prompt ?? 0, completionTokens: eval ?? 0, totalNanoseconds: total, loadNanoseconds: load,
            promptEvalNanoseconds: promptEval, evalNanoseconds: evalDuration
        )
    }
}
