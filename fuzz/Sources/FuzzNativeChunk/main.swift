import Dialects
import FuzzSupport

/// Ollama's streamed answer (upstream bytes): NDJSON lines through `NativeChatDecoder` (and so
/// `NativeChunkParser` and the tool-call reader), then into the OpenAI and Anthropic encoders, streaming
/// and whole. Beyond not crashing: nothing follows a finish, and every JSON the encoders write parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNativeChunk(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    var splitter = LineSplitter()
    var lines = splitter.append(bytes)
    if let last = splitter.finish() { lines.append(last) }

    var decoder = NativeChatDecoder(makeToolCallID: { "call_fuzz" })
    let envelope = OpenAIChatEnvelope(id: "chatcmpl-fuzz", created: 0, model: "m")
    var openAIStream = OpenAIStreamEncoder(envelope: envelope, includeUsage: true)
    var anthropicStream = AnthropicStreamEncoder(messageID: "msg_fuzz", model: "m", estimatedInputTokens: 1)
    var openAIWhole = OpenAIChatResponse(envelope: envelope)
    var anthropicWhole = AnthropicMessageResponse(messageID: "msg_fuzz", model: "m", estimatedInputTokens: 1)
    var sse = openAIStream.start() + anthropicStream.start()
    var finished = false
    for line in lines {
        let events = decoder.decode(line: line)
        require(!finished || events.isEmpty, "events after the stream finished")
        for event in events {
            sse += openAIStream.encode(event)
            sse += anthropicStream.encode(event)
            openAIWhole.add(event)
            anthropicWhole.add(event)
        }
        finished = decoder.isFinished
    }
    requireSSEDataIsJSON(sse)
    requireValidJSON(openAIWhole.json(), "OpenAIChatResponse.json()")
    requireValidJSON(anthropicWhole.json(), "AnthropicMessageResponse.json()")
    return 0
}

/// Every `data: ` line of a server-sent-event stream is JSON, but OpenAI's closing `[DONE]`.
private func requireSSEDataIsJSON(_ stream: [UInt8]) {
    var splitter = LineSplitter()
    for line in splitter.append(stream) {
        let prefix = Array("data: ".utf8)
        guard line.starts(with: prefix) else { continue }
        let payload = Array(line.dropFirst(prefix.count))
        if payload == Array("[DONE]".utf8) { continue }
        requireValidJSON(payload, "a stream encoder")
    }
}
