/// The scripted content of one chat/generate reply: the generated pieces in order and why
/// generation ended.
struct ReplyPlan: Sendable {
    /// One generated chunk (`done:false` object on the wire).
    enum Piece: Sendable {
        case thinking(String)
        case text(String)
        /// A complete tool call object `{"id":..,"function":{"index":..,"name":..,"arguments":{}}}`.
        case toolCall(JSONValue)
    }

    var pieces: [Piece]
    /// `stop`, or `length` when `num_predict` cut the reply short.
    var doneReason: String

    /// Text of the two thinking chunks emitted for thinking requests.
    static let thinkingPieces = ["Let me think ", "about this."]

    /// Builds the plan: thinking chunks (when thinking), the behaviour's text pieces (cut at the
    /// first `options.stop` match), the tool-call chunk (when triggered), then `num_predict`
    /// truncation over all of them (`done_reason` `length`).
    init(request: GenerationRequest, behavior: FakeOllamaBehavior) {
        var pieces: [Piece] = request.thinking ? Self.thinkingPieces.map(Piece.thinking) : []
        pieces += Self.cut(behavior.textPieces, atFirstOf: request.stop).map(Piece.text)
        if let toolName = request.toolName, request.kind == .chat {
            pieces.append(.toolCall(Self.toolCall(name: toolName, index: 0, arguments: request.toolArguments)))
        }
        doneReason = "stop"
        if let limit = request.numPredict, pieces.count > limit {
            pieces = Array(pieces.prefix(limit))
            doneReason = "length"
        }
        self.pieces = pieces
    }

    /// A complete native tool call with an Ollama-style id (`call_` + 8 of `[a-z0-9]`).
    static func toolCall(name: String, index: Int, arguments: JSONValue = .object([])) -> JSONValue {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let id = "call_" + String((0..<8).map { _ in alphabet.randomElement() ?? "a" })
        return .obj(
            ("id", .string(id)),
            ("function", .obj(("index", .int(Int64(index))), ("name", .string(name)), ("arguments", arguments)))
        )
    }

    /// Drops everything from the first occurrence of any stop sequence on (Ollama strips the match).
    static func cut(_ pieces: [String], atFirstOf stops: [String]) -> [String] {
        guard !stops.isEmpty else { return pieces }
        let joined = Array(pieces.joined().utf8)
        let cuts = stops.compactMap { joined.firstRange(of: Array($0.utf8))?.lowerBound }
        guard let cut = cuts.min() else { return pieces }
        var result: [String] = []
        var offset = 0
        for piece in pieces where offset < cut {
            let bytes = Array(piece.utf8)
            let keep = min(bytes.count, cut - offset)
            result.append(String(decoding: bytes[..<keep], as: UTF8.self))
            offset += bytes.count
        }
        return result.filter { !$0.isEmpty }
    }

    var text: String { pieces.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined() }
    var thinking: String { pieces.compactMap { if case .thinking(let t) = $0 { t } else { nil } }.joined() }
    var toolCalls: [JSONValue] { pieces.compactMap { if case .toolCall(let c) = $0 { c } else { nil } } }
}

/// Renders plan pieces as Ollama `ChatResponse` / `GenerateResponse` objects, keys in Go struct order.
struct ReplyRenderer: Sendable {
    let request: GenerationRequest

    /// A `done:false` chunk for `piece`; a text piece carries its `logprobs` entry when they were asked for.
    func chunk(_ piece: ReplyPlan.Piece, position: Int = 0) -> JSONValue {
        var text = "", thinking: String?, calls: [JSONValue]?, logprobs: [JSONValue] = []
        switch piece {
        case .text(let t):
            text = t
            logprobs = logprobEntry(t, position: position).map { [$0] } ?? []
        case .thinking(let t): thinking = t
        case .toolCall(let call): calls = [call]
        }
        return body(text: text, thinking: thinking, toolCalls: calls, done: false, doneReason: nil, logprobs: logprobs, metrics: [])
    }

    /// The `logprobs` entry of the text piece at `position` in the plan (one token per piece): a made-up but
    /// deterministic log probability, and `top_logprobs` alternatives, the token itself first.
    func logprobEntry(_ token: String, position: Int) -> JSONValue? {
        guard let top = request.topLogprobs else { return nil }
        let logprob = -0.125 * Double(position % 8 + 1)
        func entry(_ token: String, _ logprob: Double) -> JSONValue {
            .obj(("token", .string(token)), ("logprob", .double(logprob)), ("bytes", .array(token.utf8.map { .int(Int64($0)) })))
        }
        let alternatives = (0..<top).map { rank in rank == 0 ? entry(token, logprob) : entry("alt\(rank)", logprob - Double(rank)) }
        return .obj(
            ("token", .string(token)), ("logprob", .double(logprob)), ("bytes", .array(token.utf8.map { .int(Int64($0)) })),
            ("top_logprobs", alternatives.isEmpty ? nil : .array(alternatives))
        )
    }

    /// The `done:true` object. `aggregate` (non-streaming) carries all text, thinking and tool calls.
    func final(_ plan: ReplyPlan, aggregate: Bool, metrics: [(String, JSONValue)]) -> JSONValue {
        let thinking = aggregate && !plan.thinking.isEmpty ? plan.thinking : nil
        let calls = aggregate && !plan.toolCalls.isEmpty ? plan.toolCalls : nil
        var logprobs: [JSONValue] = []
        for (position, piece) in plan.pieces.enumerated() where aggregate {
            if case .text(let t) = piece, let entry = logprobEntry(t, position: position) { logprobs.append(entry) }
        }
        return body(
            text: aggregate ? plan.text : "", thinking: thinking, toolCalls: calls,
            done: true, doneReason: plan.doneReason, logprobs: logprobs, metrics: metrics
        )
    }

    /// The immediate answer to an empty request: `done_reason` `load` or `unload`.
    func loadResponse(reason: String) -> JSONValue {
        body(text: "", thinking: nil, toolCalls: nil, done: true, doneReason: reason, logprobs: [], metrics: [], context: false)
    }

    private func body(
        text: String, thinking: String?, toolCalls: [JSONValue]?, done: Bool, doneReason: String?,
        logprobs: [JSONValue], metrics: [(String, JSONValue)], context: Bool = true
    ) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("model", .string(request.modelName)),
            ("created_at", .string(WallTime.now().rfc3339)),
        ]
        switch request.kind {
        case .chat:
            members.append((
                "message",
                .obj(
                    ("role", .string("assistant")), ("content", .string(text)),
                    ("thinking", thinking.map(JSONValue.string)), ("tool_calls", toolCalls.map(JSONValue.array))
                )
            ))
            members.append(("done", .bool(done)))
            if let doneReason { members.append(("done_reason", .string(doneReason))) }
        case .generate:
            members.append(("response", .string(text)))
            if let thinking { members.append(("thinking", .string(thinking))) }
            members.append(("done", .bool(done)))
            if let doneReason { members.append(("done_reason", .string(doneReason))) }
            if done, context {
                let tokens = min(request.promptEvalCount, 16)
                members.append(("context", .array((0..<tokens).map { .int(Int64(128_000 + $0)) })))
            }
        }
        // Go's `logprobs,omitempty` comes after `done_reason` (and `context`), before the metrics.
        if !logprobs.isEmpty { members.append(("logprobs", .array(logprobs))) }
        members += metrics.map { (key: $0.0, value: $0.1) }
        return .object(members)
    }

    /// Metrics for a reply of `evalCount` chunks, all int64 nanoseconds; zero values are omitted
    /// (Go `omitempty`). Durations are synthetic but realistic: load 2.35 ms, prompt eval
    /// 1 ms + 0.15 ms per prompt token, eval 12.5 ms per chunk, total ≥ their sum and ≥ wall time.
    func metrics(evalCount: Int, started: ContinuousClock.Instant) -> [(String, JSONValue)] {
        let load: Int64 = 2_345_678
        let promptCount = Int64(request.promptEvalCount)
        let promptDuration: Int64 = promptCount > 0 ? 1_000_000 + 150_000 * promptCount : 0
        let evalDuration = Int64(evalCount) * 12_500_000
        let elapsed = ContinuousClock.now - started
        let wall = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let total = max(wall, load + promptDuration + evalDuration) + 411_000
        let all: [(String, Int64)] = [
            ("total_duration", total), ("load_duration", load),
            ("prompt_eval_count", promptCount), ("prompt_eval_duration", promptDuration),
            ("eval_count", Int64(evalCount)), ("eval_duration", evalDuration),
        ]
        return all.filter { $0.1 != 0 }.map { ($0.0, .int($0.1)) }
    }
}
