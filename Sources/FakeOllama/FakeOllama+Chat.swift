import HTTPTypes
import Hummingbird
import Locking

/// Thrown from a response body writer to close the connection abruptly.
struct ConnectionDropped: Error {}

extension FakeOllama {
    /// `POST /api/chat` and `POST /api/generate`.
    ///
    /// Empty `messages`/`prompt` answers `done_reason` `load` (`unload` with `keep_alive: 0`) as one
    /// JSON object. Otherwise the behaviour snapshot scripts the reply: `firstByteDelay` before the
    /// head, `failure`, `chunkDelay` between chunks, `splitWrites`, `includeMetrics`.
    func handleGeneration(_ body: [UInt8], kind: GenerationRequest.Kind, started: ContinuousClock.Instant) async throws -> Response {
        let behavior = self.behavior
        let request: GenerationRequest
        do {
            request = try parseGeneration(body, kind: kind)
        } catch {
            return .error(error)
        }
        let renderer = ReplyRenderer(request: request)
        noteLoaded(request.model, keepAlive: request.keepAlive)
        if request.isEmpty {
            return .json(renderer.loadResponse(reason: request.keepAlive == 0 ? "unload" : "load"))
        }
        try await serving.run { try await Self.pause(behavior.firstByteDelay) }
        if case .status(let code, let message) = behavior.failure {
            return .error(code, message)
        }
        let plan = ReplyPlan(request: request, behavior: behavior)
        if request.stream { return streamingResponse(plan, renderer: renderer, behavior: behavior, started: started) }
        return try await generating { try await completeResponse(plan, renderer: renderer, behavior: behavior, started: started) }
    }

    /// The NDJSON reply: one `done:false` object per piece, then the final object, an error line
    /// (`errorLineAfter`), an abrupt close (`dropAfter`) or silence (`stallAfter`).
    private func streamingResponse(
        _ plan: ReplyPlan, renderer: ReplyRenderer, behavior: FakeOllamaBehavior, started: ContinuousClock.Instant
    ) -> Response {
        let emitted: Int
        switch behavior.failure {
        case .errorLineAfter(let chunks, _), .dropAfter(let chunks), .stallAfter(let chunks):
            emitted = min(max(chunks, 0), plan.pieces.count)
        default: emitted = plan.pieces.count
        }
        let body = ResponseBody { writer in try await self.generating {
            var out = NDJSONWriter(split: behavior.splitWrites)
            for (index, piece) in plan.pieces.prefix(emitted).enumerated() {
                if index > 0 { try await Self.pause(behavior.chunkDelay) }
                try await out.writeLine(renderer.chunk(piece, position: index), to: &writer)
            }
            switch behavior.failure {
            case .errorLineAfter(_, let message):
                try await out.writeLine(.obj(("error", .string(message))), to: &writer)
            case .dropAfter:
                try await out.flush(to: &writer)
                throw ConnectionDropped()
            case .stallAfter:
                try await out.flush(to: &writer)
                try await Task.sleep(for: FakeOllamaBehavior.stallLimit)
                throw ConnectionDropped()
            default:
                if emitted > 0 { try await Self.pause(behavior.chunkDelay) }
                let metrics = behavior.includeMetrics ? renderer.metrics(evalCount: emitted, started: started) : []
                try await out.writeLine(renderer.final(plan, aggregate: false, metrics: metrics), to: &writer)
            }
            try await out.flush(to: &writer)
            try await writer.finish(nil)
        } }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    /// The `stream:false` reply: one object like the final chunk with everything concatenated,
    /// sent after the simulated generation time (``FakeOllamaBehavior/wholeReplyDelay``). `errorLineAfter` ⇒ 500 with the error;
    /// `dropAfter` ⇒ the head promises the full length but the connection closes halfway.
    private func completeResponse(
        _ plan: ReplyPlan, renderer: ReplyRenderer, behavior: FakeOllamaBehavior, started: ContinuousClock.Instant
    ) async throws -> Response {
        if let delay = behavior.wholeReplyDelay {
            try await Self.pause(delay)
        } else {
            for _ in plan.pieces { try await Self.pause(behavior.chunkDelay) }
        }
        let metrics = behavior.includeMetrics ? renderer.metrics(evalCount: plan.pieces.count, started: started) : []
        let bytes = renderer.final(plan, aggregate: true, metrics: metrics).encoded()
        switch behavior.failure {
        case .errorLineAfter(_, let message):
            return .error(500, message)
        case .dropAfter, .stallAfter:
            let stalls: Bool
            if case .stallAfter = behavior.failure { stalls = true } else { stalls = false }
            let serving = self.serving
            let body = ResponseBody(contentLength: bytes.count) { writer in
                try await writer.write(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
                if stalls { try await serving.run { try await Task.sleep(for: FakeOllamaBehavior.stallLimit) } }
                throw ConnectionDropped()
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: body)
        default:
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }

    /// Records `model` as loaded for `/api/ps` (`keep_alive` 0 unloads it; default 5 minutes).
    func noteLoaded(_ model: FakeModel, keepAlive: Double?) {
        let seconds = min(keepAlive ?? 300, 9_000_000_000)
        state.withLock { state in
            state.loaded[model.name] = seconds == 0 ? nil : WallTime.now().adding(seconds: seconds)
        }
    }

    static func pause(_ duration: Duration) async throws {
        if duration > .zero { try await Task.sleep(for: duration) }
    }
}
