/// The Responses API's `response` object and its output items (wire-formats §8.4), written the same way for
/// a whole answer, for every stream event that carries the response, and for what is stored.
public struct ResponsesEnvelope: Sendable {
    /// `resp_` + 32 hex digits.
    public var id: String
    /// Unix seconds, pinned when the request arrived.
    public var createdAt: Int
    /// The model as the client named it.
    public var model: String
    public var echo: ResponsesEcho
    public var toolKinds: ResponsesToolKinds
    /// Makes the ids of output items.
    public var ids: ResponsesIDs
    /// Unix seconds now, for `completed_at`.
    public var now: @Sendable () -> Int

    public init(
        id: String, createdAt: Int, model: String, echo: ResponsesEcho, toolKinds: ResponsesToolKinds = .init(),
        ids: ResponsesIDs = .random, now: @escaping @Sendable () -> Int
    ) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.echo = echo
        self.toolKinds = toolKinds
        self.ids = ids
        self.now = now
    }
}

/// One output item: reasoning, an assistant message, or a tool call.
public struct ResponsesItem: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case reasoning(String)
        case message(String)
        case call(ToolCall)
    }

    public var id: String
    public var body: Body
    /// `in_progress`, `completed` or `incomplete`.
    public var status: String
    /// A message's token log probabilities, when the request asked for them (`output_text.logprobs`).
    public var logprobs: [TokenLogprob] = []
}

/// How a response ended, for its object.
struct ResponsesEnding {
    /// `in_progress`, `completed`, `incomplete` or `failed`.
    var status: String
    var usage: Usage?
    var reasoningTokens = 0
    /// `(code, message)` of a failed response.
    var error: (code: String, message: String)?
    /// `incomplete_details.reason`.
    var incompleteReason: String?
    var completedAt: Int?

    static let inProgress = ResponsesEnding(status: "in_progress")
}

/// The output items of one answer, in generation order: consecutive thinking is one reasoning item,
/// consecutive text one message item, each tool call its own item. Thinking after text or a call opens a
/// new reasoning item.
struct ResponsesItems {
    private(set) var items: [ResponsesItem] = []
    /// The index of the reasoning or message item still receiving text.
    private(set) var open: Int?
    let ids: ResponsesIDs

    /// What adding a piece did: the item it closed, if any, whether it opened the one it went to, and that index.
    struct Step {
        var closed: Int?
        var opened: Bool
        var index: Int
    }

    init(ids: ResponsesIDs) { self.ids = ids }

    subscript(index: Int) -> ResponsesItem { items[index] }

    /// Characters of thinking in all items, for the reasoning-token estimate.
    var thinkingBytes: Int {
        items.reduce(0) { total, item in
            if case .reasoning(let text) = item.body { total + text.utf8.count } else { total }
        }
    }

    mutating func add(thinking piece: String) -> Step {
        append(piece, reasoning: true)
    }

    mutating func add(text piece: String) -> Step {
        append(piece, reasoning: false)
    }

    /// Adds log probabilities to the message receiving text; dropped when none is open (they were a
    /// reasoning item's tokens, which the API has no place for).
    mutating func add(logprobs entries: [TokenLogprob]) {
        guard let index = open, case .message = items[index].body else { return }
        items[index].logprobs += entries
    }

    /// Closes the open item, then adds the call as a finished item; returns (closed, the call's index).
    mutating func add(call: ToolCall) -> (closed: Int?, index: Int) {
        let closed = close(status: "completed")
        items.append(ResponsesItem(id: ids.make("fc"), body: .call(call), status: "completed"))
        return (closed, items.count - 1)
    }

    /// Closes the open item with `status`; returns its index.
    @discardableResult
    mutating func close(status: String) -> Int? {
        guard let index = open else { return nil }
        items[index].status = status
        open = nil
        return index
    }

    private mutating func append(_ piece: String, reasoning: Bool) -> Step {
        if let index = open {
            switch (items[index].body, reasoning) {
            case (.reasoning(let text), true):
                items[index].body = .reasoning(text + piece)
                return Step(closed: nil, opened: false, index: index)
            case (.message(let text), false):
                items[index].body = .message(text + piece)
                return Step(closed: nil, opened: false, index: index)
            default:
                break
            }
        }
        let closed = close(status: "completed")
        let item =
            reasoning
            ? ResponsesItem(id: ids.make("rs"), body: .reasoning(piece), status: "in_progress")
            : ResponsesItem(id: ids.make("msg"), body: .message(piece), status: "in_progress")
        items.append(item)
        open = items.count - 1
        return Step(closed: closed, opened: true, index: items.count - 1)
    }
}

extension JSONWriter {
    /// The whole `response` object.
    mutating func responsesObject(_ envelope: ResponsesEnvelope, items: [ResponsesItem], ending: ResponsesEnding) {
        let echo = envelope.echo
        raw("{\"id\":")
        string(envelope.id)
        raw(",\"object\":\"response\",\"created_at\":")
        int(envelope.createdAt)
        raw(",\"status\":")
        string(ending.status)
        raw(",\"completed_at\":")
        if let at = ending.completedAt { int(at) } else { raw("null") }
        raw(",\"error\":")
        if let error = ending.error {
            raw("{\"code\":")
            string(error.code)
            raw(",\"message\":")
            string(error.message)
            raw("}")
        } else {
            raw("null")
        }
        raw(",\"incomplete_details\":")
        if let reason = ending.incompleteReason {
            raw("{\"reason\":")
            string(reason)
            raw("}")
        } else {
            raw("null")
        }
        raw(",\"model\":")
        string(envelope.model)
        raw(",\"instructions\":")
        optionalString(echo.instructions)
        raw(",\"previous_response_id\":")
        optionalString(echo.previousResponseID)
        raw(",\"output\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { raw(",") }
            responsesItem(item, kinds: envelope.toolKinds)
        }
        raw("],\"usage\":")
        if let usage = ending.usage { responsesUsage(usage, reasoningTokens: ending.reasoningTokens) } else { raw("null") }
        raw(",\"tools\":")
        value(echo.tools)
        raw(",\"tool_choice\":")
        value(echo.toolChoice)
        raw(",\"parallel_tool_calls\":")
        raw(echo.parallelToolCalls ? "true" : "false")
        raw(",\"text\":")
        value(echo.text)
        raw(",\"reasoning\":")
        value(echo.reasoning)
        raw(",\"temperature\":")
        value(echo.temperature)
        raw(",\"top_p\":")
        value(echo.topP)
        raw(",\"max_output_tokens\":")
        if let limit = echo.maxOutputTokens { int(limit) } else { raw("null") }
        raw(",\"truncation\":")
        string(echo.truncation)
        raw(",\"store\":")
        raw(echo.store ? "true" : "false")
        raw(",\"metadata\":")
        value(echo.metadata)
        raw(",\"user\":")
        optionalString(echo.user)
        raw(",\"service_tier\":")
        string(echo.serviceTier ?? "default")
        if let key = echo.promptCacheKey {
            raw(",\"prompt_cache_key\":")
            string(key)
        }
        raw("}")
    }

    /// One output item. An `in_progress` item is written empty (no content, summary or arguments yet), as
    /// `response.output_item.added` announces it.
    mutating func responsesItem(_ item: ResponsesItem, kinds: ResponsesToolKinds) {
        let pending = item.status == "in_progress"
        raw("{\"id\":")
        string(item.id)
        switch item.body {
        case .reasoning(let text):
            raw(",\"type\":\"reasoning\",\"status\":")
            string(item.status)
            if pending {
                raw(",\"summary\":[]")
            } else {
                raw(",\"summary\":[")
                summaryPart(text)
                raw("],\"encrypted_content\":")
                string(ResponsesInput.thinkingPrefix + text)
            }
        case .message(let text):
            raw(",\"type\":\"message\",\"role\":\"assistant\",\"status\":")
            string(item.status)
            if pending {
                raw(",\"content\":[]")
            } else {
                raw(",\"content\":[")
                outputTextPart(text, logprobs: item.logprobs)
                raw("]")
            }
        case .call(let call):
            if kinds.custom.contains(call.name) {
                raw(",\"type\":\"custom_tool_call\",\"status\":")
                string(item.status)
                raw(",\"call_id\":")
                string(call.id)
                toolName(call.name, kinds: kinds)
                raw(",\"input\":")
                string(pending ? "" : Self.customInput(call))
            } else {
                raw(",\"type\":\"function_call\",\"status\":")
                string(item.status)
                raw(",\"call_id\":")
                string(call.id)
                toolName(call.name, kinds: kinds)
                raw(",\"arguments\":")
                string(pending ? "" : call.arguments.text)
            }
        }
        raw("}")
    }

    /// `,"name":…`, preceded by `"namespace"` for a namespaced tool's call.
    mutating func toolName(_ name: String, kinds: ResponsesToolKinds) {
        if let split = kinds.namespaced[name] {
            raw(",\"namespace\":")
            string(split.namespace)
            raw(",\"name\":")
            string(split.name)
        } else {
            raw(",\"name\":")
            string(name)
        }
    }

    /// A custom tool call's `input`: the `input` argument, or the whole arguments when the model wrote others.
    static func customInput(_ call: ToolCall) -> String {
        if let input = call.arguments["input"]?.string { return input }
        return call.arguments.text
    }

    mutating func outputTextPart(_ text: String, logprobs: [TokenLogprob] = []) {
        raw("{\"type\":\"output_text\",\"text\":")
        string(text)
        raw(",\"annotations\":[],\"logprobs\":")
        logprobEntries(logprobs)
        raw("}")
    }

    mutating func summaryPart(_ text: String) {
        raw("{\"type\":\"summary_text\",\"text\":")
        string(text)
        raw("}")
    }

    /// `usage`: all five numbers the SDK requires, and the details Codex and the SDK read.
    mutating func responsesUsage(_ usage: Usage, reasoningTokens: Int) {
        raw("{\"input_tokens\":")
        int(usage.promptTokens)
        raw(",\"input_tokens_details\":{\"cached_tokens\":0,\"cache_write_tokens\":0},\"output_tokens\":")
        int(usage.completionTokens)
        raw(",\"output_tokens_details\":{\"reasoning_tokens\":")
        int(reasoningTokens)
        raw("},\"total_tokens\":")
        int(usage.totalTokens)
        raw("}")
    }
}

/// What a response's ending means for its object.
extension ResponsesEnding {
    /// The ending of a finished answer: `completed`, or `incomplete` when it hit the token limit.
    /// Reasoning tokens are estimated (Ollama counts them in `eval_count` without a split) at four bytes of
    /// thinking per token, at most the output count.
    static func finished(_ completion: Completion, thinkingBytes: Int, at time: Int) -> ResponsesEnding {
        let reasoning = min(completion.usage.completionTokens, (thinkingBytes + 3) / 4)
        let length = completion.finishReason == .length
        return ResponsesEnding(
            status: length ? "incomplete" : "completed", usage: completion.usage, reasoningTokens: reasoning,
            incompleteReason: length ? "max_output_tokens" : nil, completedAt: time
        )
    }

    /// The ending of an answer Ollama broke off. Context overflow gets Codex's `context_length_exceeded`
    /// (it stops instead of retrying); a busy Ollama `server_is_overloaded`; anything else `server_error`.
    static func failed(_ message: String) -> ResponsesEnding {
        let lowered = message.lowercased()
        let code =
            lowered.contains("context") && (lowered.contains("length") || lowered.contains("exceed") || lowered.contains("limit"))
            ? "context_length_exceeded"
            : lowered.contains("busy") || lowered.contains("overloaded") ? "server_is_overloaded" : "server_error"
        return ResponsesEnding(status: "failed", error: (code, message))
    }
}
