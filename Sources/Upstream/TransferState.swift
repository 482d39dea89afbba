import Locking

/// What the curl thread and the consuming task share about one transfer: the response head, buffered
/// body bytes, and how it ended. The curl thread produces; one task consumes.
///
/// Backpressure: once ``highWater`` bytes wait unread, the producer is told to pause curl; when the
/// consumer takes them, it is told to ask the engine to resume the transfer. Nothing buffers without bound.
final class TransferState: Sendable {
    static let highWater = 256 * 1024

    enum Delivery {
        case accepted
        case pause
        case abort
    }

    private struct Inner {
        var head: CheckedContinuation<Int, any Error>?
        var headDelivered = false
        var status: Int?
        var headFields = ResponseHead()
        var chunks: [[UInt8]] = []
        var bufferedBytes = 0
        var reader: CheckedContinuation<Read, any Error>?
        var outcome: Result<Void, UpstreamError>?
        var isPaused = false
        var isCancelled = false
    }

    private let inner = Locked(Inner())

    // MARK: Consumer side

    /// Suspends until the status line arrived (with the first body byte, or at the end for an empty body).
    func awaitHead() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, UpstreamError>? = inner.withLock { inner in
                if let status = inner.status { return .success(status) }
                if case .failure(let error) = inner.outcome { return .failure(error) }
                inner.head = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// What one read returns: the next bytes (nil at a clean end), and whether the consumer must ask the
    /// engine to resume the transfer, because this read drained a transfer the producer had paused.
    typealias Read = (bytes: [UInt8]?, resume: Bool)

    /// The next bytes, nil at a clean end; throws if the transfer failed. Returns whether curl should be
    /// resumed because the consumer just drained a paused transfer.
    ///
    /// Whether to wait is decided in the same lock hold that registers the waiter, so bytes (and a pause)
    /// that arrive between looking and waiting are never missed: a drained paused transfer is always
    /// reported, never left paused.
    func nextChunk() async throws -> Read {
        if let ready = inner.withLock({ Self.take(&$0) }) { return try ready.get() }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Read, UpstreamError>? = inner.withLock { inner in
                if let ready = Self.take(&inner) { return ready }
                inner.reader = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// What a read gets without waiting: the buffered bytes (unpausing the transfer if it was paused) or
    /// the end; nil when it must wait for the producer.
    private static func take(_ inner: inout Inner) -> Result<Read, UpstreamError>? {
        if !inner.chunks.isEmpty {
            let bytes = inner.chunks.count == 1 ? inner.chunks[0] : Array(inner.chunks.joined())
            inner.chunks.removeAll(keepingCapacity: true)
            inner.bufferedBytes = 0
            let resume = inner.isPaused
            inner.isPaused = false
            return .success((bytes, resume))
        }
        switch inner.outcome {
        case .success: return .success((nil, false))
        case .failure(let error): return .failure(error)
        case nil: return nil
        }
    }

    /// Wakes a reader that is waiting for bytes with an empty chunk, so it can do something while the
    /// upstream is silent (write a keep-alive). Does nothing when no reader waits.
    func wakeIdleReader() {
        let reader: CheckedContinuation<Read, any Error>? = inner.withLock { inner in
            guard inner.chunks.isEmpty, inner.outcome == nil, let waiting = inner.reader else { return nil }
            inner.reader = nil
            return waiting
        }
        reader?.resume(returning: ([], false))
    }

    /// The response's content type and redirect target, complete once ``awaitHead()`` returned.
    var responseHead: ResponseHead { inner.withLock { $0.headFields } }

    /// True once the transfer ended (completed, failed or cancelled).
    var isFinished: Bool { inner.withLock { $0.outcome != nil } }

    /// Marks the transfer cancelled so the producer aborts on its next callback.
    func markCancelled() {
        inner.withLock { $0.isCancelled = true }
    }

    // MARK: Producer side (curl thread)

    /// Records the head's fields; called on the curl thread before the head is delivered.
    func recordHead(_ fields: ResponseHead) {
        inner.withLock { inner in
            if !inner.headDelivered { inner.headFields = fields }
        }
    }

    /// Offers body bytes from curl's write callback.
    func deliver(_ bytes: [UInt8], status: Int) -> Delivery {
        var head: CheckedContinuation<Int, any Error>?
        var reader: CheckedContinuation<Read, any Error>?
        let delivery: Delivery = inner.withLock { inner in
            if inner.isCancelled { return .abort }
            if !inner.headDelivered {
                inner.headDelivered = true
                inner.status = status
                head = inner.head
                inner.head = nil
            }
            if let waiting = inner.reader {
                inner.reader = nil
                reader = waiting
                return .accepted
            }
            if inner.bufferedBytes >= Self.highWater {
                inner.isPaused = true
                return .pause
            }
            inner.chunks.append(bytes)
            inner.bufferedBytes += bytes.count
            return .accepted
        }
        head?.resume(returning: status)
        // A waiting reader means nothing was buffered, so nothing was paused.
        reader?.resume(returning: (bytes, false))
        return delivery
    }

    /// Records how the transfer ended and wakes whoever waits. `status` is the response code, if any.
    func finish(_ outcome: Result<Void, UpstreamError>, status: Int) {
        var head: CheckedContinuation<Int, any Error>?
        var reader: CheckedContinuation<Read, any Error>?
        inner.withLock { inner in
            guard inner.outcome == nil else { return }
            inner.outcome = outcome
            if !inner.headDelivered {
                inner.headDelivered = true
                if case .success = outcome { inner.status = status }
                head = inner.head
                inner.head = nil
            }
            reader = inner.reader
            inner.reader = nil
        }
        if let head {
            switch outcome {
            case .success: head.resume(returning: status)
            case .failure(let error): head.resume(throwing: error)
            }
        }
        if let reader {
            switch outcome {
            case .success: reader.resume(returning: (nil, false))
            case .failure(let error): reader.resume(throwing: error)
            }
        }
    }
}

extension TransferState {
    /// A transfer that already ended well with `chunks` as its body: an answer made in memory.
    static func completed(status: Int, chunks: [[UInt8]]) -> TransferState {
        let state = TransferState()
        state.inner.withLock { inner in
            inner.headDelivered = true
            inner.status = status
            inner.chunks = chunks.filter { !$0.isEmpty }
            inner.bufferedBytes = chunks.reduce(0) { $0 + $1.count }
            inner.outcome = .success(())
        }
        return state
    }
}

/// The few response header fields callers need, as libcurl parsed them.
struct ResponseHead: Sendable {
    /// The `Content-Type` header.
    var contentType: String?
    /// Where a `3xx` response points, made absolute against the request URL (curl does not follow it).
    var redirectURL: String?
}
