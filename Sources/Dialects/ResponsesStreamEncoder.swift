/// Encodes one answer's ``ChatEvent``s as Responses API server-sent events (wire-formats §8.5).
///
/// Every frame is `event: <type>\ndata: {"type":<type>,"sequence_number":n,…}\n\n`, numbered from 0. The
/// sequence:
/// - ``start()``: `response.created` and `response.in_progress` (the response `in_progress`, `output:[]`,
///   `usage:null`), sent as soon as Ollama accepted the call.
/// - Thinking: `response.output_item.added` (reasoning, `summary:[]`), `response.reasoning_summary_part.added`,
///   then a `response.reasoning_summary_text.delta` per piece; closed by `…text.done`, `…part.done` and
///   `response.output_item.done` (with `summary` and `encrypted_content`).
/// - Text: `response.output_item.added` (message, `content:[]`), `response.content_part.added` (`output_text`
///   ""), a `response.output_text.delta` per piece; closed by `response.output_text.done`,
///   `response.content_part.done`, `response.output_item.done`.
/// - Log probabilities (when the request asked for them) are collected on the message item: each
///   `output_text.delta` carries `logprobs: []`, and `output_text.done`, `content_part.done`,
///   `output_item.done` and the final object carry all of them (Ollama sends them after their text).
/// - Each tool call closes the open item, then `response.output_item.added` (`arguments:""`), one
///   `response.function_call_arguments.delta` with the whole arguments, `….done` (with `name`),
///   `response.output_item.done`; a custom tool's call uses `response.custom_tool_call_input.*` instead.
/// - Output indexes run 0, 1, 2… in the order items open; content and summary indexes are always 0.
/// - `.finished`: the open item is closed, then `response.completed` — or, when the token limit cut the
///   answer, the item closes `incomplete` and `response.incomplete` follows with
///   `incomplete_details.reason: max_output_tokens`. Either carries the whole response with usage.
/// - `.failed`: the open item closes `incomplete`, then `response.failed` (`error.code`, see
///   ``ResponsesEnding/failed(_:)``). Never a `response.completed` after it.
/// Nothing is written after the terminal event; the route then closes the stream (no `[DONE]`).
public struct ResponsesStreamEncoder: ChatStreamEncoder {
    public static let contentType = "text/event-stream"

    private let envelope: ResponsesEnvelope
    private var items: ResponsesItems
    private var sequence = 0
    private var started = false
    private var ended = false
    private let onFinish: (@Sendable ([UInt8]) -> Void)?

    /// - Parameter onFinish: receives the final response object (completed or incomplete, not failed), when
    ///   the terminal event is encoded; the route stores it.
    public init(envelope: ResponsesEnvelope, onFinish: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.envelope = envelope
        self.items = ResponsesItems(ids: envelope.ids)
        self.onFinish = onFinish
    }

    public mutating func start() -> [UInt8] {
        guard !started else { return [] }
        started = true
        let response = object(.inProgress)
        return frame("response.created") { $0.raw(",\"response\":"); $0.raw(bytes: response) }
            + frame("response.in_progress") { $0.raw(",\"response\":"); $0.raw(bytes: response) }
    }

    /// An SSE comment: the SDK and Codex skip it.
    public func keepAlive() -> [UInt8] { OpenAISSE.keepAlive }

    public mutating func encode(_ event: ChatEvent) -> [UInt8] {
        guard !ended else { return [] }
        var out = start()
        switch event {
        case .thinking(let piece):
            guard !piece.isEmpty else { break }
            let step = items.add(thinking: piece)
            out += moved(step)
            let id = items[step.index].id
            out += frame("response.reasoning_summary_text.delta") { json in
                json.itemFields(id, step.index)
                json.raw(",\"summary_index\":0,\"delta\":")
                json.string(piece)
            }
        case .text(let piece):
            guard !piece.isEmpty else { break }
            let step = items.add(text: piece)
            out += moved(step)
            let id = items[step.index].id
            out += frame("response.output_text.delta") { json in
                json.itemFields(id, step.index)
                json.raw(",\"content_index\":0,\"delta\":")
                json.string(piece)
                json.raw(",\"logprobs\":[]")
            }
        case .logprobs(let entries):
            items.add(logprobs: entries)
        case .toolCall(let call):
            let (closed, index) = items.add(call: call)
            if let closed { out += close(closed) }
            out += toolCall(index, call)
        case .finished(let completion):
            ended = true
            let ending = ResponsesEnding.finished(completion, thinkingBytes: items.thinkingBytes, at: envelope.now())
            if let index = items.close(status: ending.status == "incomplete" ? "incomplete" : "completed") { out += close(index) }
            let response = object(ending)
            onFinish?(response)
            out += frame(ending.status == "incomplete" ? "response.incomplete" : "response.completed") { json in
                json.raw(",\"response\":")
                json.raw(bytes: response)
            }
        case .failed(let message):
            ended = true
            if let index = items.close(status: "incomplete") { out += close(index) }
            let response = object(.failed(message))
            out += frame("response.failed") { json in
                json.raw(",\"response\":")
                json.raw(bytes: response)
            }
        }
        return out
    }

    /// The events of what adding a piece did: the `.done` events of the item it closed, then the
    /// `.added` events of the one it opened.
    private mutating func moved(_ step: ResponsesItems.Step) -> [UInt8] {
        var out: [UInt8] = []
        if let closed = step.closed { out += close(closed) }
        if step.opened { out += opened(step.index) }
        return out
    }

    /// `output_item.added` and the empty part of a reasoning or message item just opened.
    private mutating func opened(_ index: Int) -> [UInt8] {
        let item = items[index]
        let kinds = envelope.toolKinds
        var out = frame("response.output_item.added") { json in
            json.raw(",\"output_index\":")
            json.int(index)
            json.raw(",\"item\":")
            json.responsesItem(item, kinds: kinds)
        }
        if case .reasoning = item.body {
            out += frame("response.reasoning_summary_part.added") { json in
                json.itemFields(item.id, index)
                json.raw(",\"summary_index\":0,\"part\":")
                json.summaryPart("")
            }
        } else {
            out += frame("response.content_part.added") { json in
                json.itemFields(item.id, index)
                json.raw(",\"content_index\":0,\"part\":")
                json.outputTextPart("")
            }
        }
        return out
    }

    /// The `.done` events of a reasoning or message item just closed, ending with `output_item.done`.
    private mutating func close(_ index: Int) -> [UInt8] {
        let item = items[index]
        var out: [UInt8] = []
        switch item.body {
        case .reasoning(let text):
            out += frame("response.reasoning_summary_text.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"summary_index\":0,\"text\":")
                json.string(text)
            }
            out += frame("response.reasoning_summary_part.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"summary_index\":0,\"part\":")
                json.summaryPart(text)
            }
        case .message(let text):
            out += frame("response.output_text.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"content_index\":0,\"text\":")
                json.string(text)
                json.raw(",\"logprobs\":")
                json.logprobEntries(item.logprobs)
            }
            out += frame("response.content_part.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"content_index\":0,\"part\":")
                json.outputTextPart(text, logprobs: item.logprobs)
            }
        case .call:
            break
        }
        out += itemDone(index)
        return out
    }

    private mutating func toolCall(_ index: Int, _ call: ToolCall) -> [UInt8] {
        var item = items[index]
        item.status = "in_progress"
        let kinds = envelope.toolKinds
        let custom = kinds.custom.contains(call.name)
        var out = frame("response.output_item.added") { json in
            json.raw(",\"output_index\":")
            json.int(index)
            json.raw(",\"item\":")
            json.responsesItem(item, kinds: kinds)
        }
        if custom {
            let input = JSONWriter.customInput(call)
            out += frame("response.custom_tool_call_input.delta") { json in
                json.itemFields(item.id, index)
                json.raw(",\"delta\":")
                json.string(input)
            }
            out += frame("response.custom_tool_call_input.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"input\":")
                json.string(input)
            }
        } else {
            let arguments = call.arguments.text
            out += frame("response.function_call_arguments.delta") { json in
                json.itemFields(item.id, index)
                json.raw(",\"delta\":")
                json.string(arguments)
            }
            out += frame("response.function_call_arguments.done") { json in
                json.itemFields(item.id, index)
                json.raw(",\"name\":")
                json.string(call.name)
                json.raw(",\"arguments\":")
                json.string(arguments)
            }
        }
        out += itemDone(index)
        return out
    }

    private mutating func itemDone(_ index: Int) -> [UInt8] {
        let item = items[index]
        let kinds = envelope.toolKinds
        return frame("response.output_item.done") { json in
            json.raw(",\"output_index\":")
            json.int(index)
            json.raw(",\"item\":")
            json.responsesItem(item, kinds: kinds)
        }
    }

    private func object(_ ending: ResponsesEnding) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.responsesObject(envelope, items: items.items, ending: ending)
        return json.bytes
    }

    /// One `event:`/`data:` frame; `body` writes the members after `type` and `sequence_number`.
    private mutating func frame(_ type: String, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        json.raw("event: ")
        json.raw(type)
        json.raw("\ndata: {\"type\":")
        json.string(type)
        json.raw(",\"sequence_number\":")
        json.int(sequence)
        sequence += 1
        body(&json)
        json.raw("}\n\n")
        return json.bytes
    }
}

/// Collects one answer's events into a whole (non-streamed) Responses `response` object.
public struct ResponsesAnswer: ChatAnswerBuilder {
    private let envelope: ResponsesEnvelope
    private var items: ResponsesItems
    private var ending: ResponsesEnding?
    public private(set) var completion: Completion?
    public private(set) var failure: String?
    private let onFinish: (@Sendable ([UInt8]) -> Void)?

    /// - Parameter onFinish: receives the response object when ``json()`` writes it; the route stores it.
    public init(envelope: ResponsesEnvelope, onFinish: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.envelope = envelope
        self.items = ResponsesItems(ids: envelope.ids)
        self.onFinish = onFinish
    }

    public mutating func add(_ event: ChatEvent) {
        switch event {
        case .thinking(let piece) where !piece.isEmpty: _ = items.add(thinking: piece)
        case .text(let piece) where !piece.isEmpty: _ = items.add(text: piece)
        case .thinking, .text: break
        case .logprobs(let entries): items.add(logprobs: entries)
        case .toolCall(let call): _ = items.add(call: call)
        case .finished(let completion):
            self.completion = completion
            let ending = ResponsesEnding.finished(completion, thinkingBytes: items.thinkingBytes, at: envelope.now())
            items.close(status: ending.status == "incomplete" ? "incomplete" : "completed")
            self.ending = ending
        case .failed(let message): failure = message
        }
    }

    /// The `response` object; call once ``completion`` is set.
    public func json() -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.responsesObject(envelope, items: items.items, ending: ending ?? .inProgress)
        onFinish?(json.bytes)
        return json.bytes
    }
}

extension JSONWriter {
    /// `,"item_id":…,"output_index":…`.
    fileprivate mutating func itemFields(_ id: String, _ index: Int) {
        raw(",\"item_id\":")
        string(id)
        raw(",\"output_index\":")
        int(index)
    }
}
