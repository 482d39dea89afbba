/// An upstream response: its status, and its body as it streams in.
public struct UpstreamResponse: Sendable {
    public let status: Int
    /// The `Content-Type` header, if any.
    public let contentType: String?
    /// A redirect's absolute target (curl never follows redirects itself), if any.
    public let redirectURL: String?
    public let body: UpstreamBody

    /// A response made in memory, its body already whole (`chunks`, handed to the reader at once, as bytes
    /// buffered while the reader was away are): what an in-memory model backend answers, for router tests of
    /// the model-call path without curl or a server.
    public static func inMemory(status: Int, contentType: String? = "application/x-ndjson", chunks: [[UInt8]]) -> UpstreamResponse {
        UpstreamResponse(
            status: status, contentType: contentType, redirectURL: nil,
            body: UpstreamBody(id: -1, state: .completed(status: status, chunks: chunks), engine: nil)
        )
    }
}

/// The body of an upstream response, read chunk by chunk as curl receives it.
///
/// Reading drives backpressure: an unread body pauses the transfer. Dropping the body before its end
/// cancels the transfer, so an abandoned upstream call never keeps running.
public final class UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let id: Int
    private let state: TransferState
    /// nil for a body made in memory, which has no transfer to pause, resume or cancel.
    private let engine: CurlEngine?

    init(id: Int, state: TransferState, engine: CurlEngine?) {
        self.id = id
        self.state = state
        self.engine = engine
    }

    deinit {
        if !state.isFinished { engine?.cancel(id, state: state) }
    }

    /// Stops the transfer now (a client went away, say).
    public func cancel() {
        if let engine { engine.cancel(id, state: state) } else { state.markCancelled() }
    }

    /// Makes a reader that is waiting for the next chunk receive an empty one now (an idle tick). Readers
    /// that asked for ticks treat an empty chunk as "nothing yet"; others just append nothing.
    public func wakeIdleReader() {
        state.wakeIdleReader()
    }

    /// Reads the whole body, failing past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            bytes += chunk
            if bytes.count > limit {
                cancel()
                throw UpstreamError(.transferFailed, message: "upstream body larger than \(limit) bytes")
            }
        }
        return bytes
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: UpstreamBody

        public mutating func next() async throws -> [UInt8]? {
            let body = self.body
            let (bytes, resume) = try await withTaskCancellationHandler {
                try await body.state.nextChunk()
            } onCancel: {
                body.cancel()
            }
            if resume { body.engine?.resume(body.id) }
            return bytes
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
