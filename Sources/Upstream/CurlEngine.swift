internal import CCurl
import Foundation
public import Logging
public import ServiceLifecycle
import Locking

/// Every HTTP call to an upstream runs on one libcurl multi handle driven by one dedicated thread.
///
/// Tasks queue work (start, cancel, resume) and wake the thread with `curl_multi_wakeup`; the thread
/// adds easy handles, runs `curl_multi_perform`/`curl_multi_poll`, and hands bytes to each transfer's
/// ``TransferState``. A stream that lasts minutes costs a socket, not a thread, and the multi handle's
/// connection cache reuses upstream connections across requests.
public final class CurlEngine: Sendable {
    private let inbox: CommandInbox
    private let multi: MultiHandle
    private let logger: Logger

    public init(logger: Logger) {
        CurlGlobal.initializeOnce()
        self.logger = logger
        self.inbox = CommandInbox()
        self.multi = MultiHandle()
        let loop = EngineLoop(multi: multi, logger: logger)
        let thread = Thread { [inbox = self.inbox] in
            loop.run { inbox.drain() }
        }
        thread.name = "tollgate-curl"
        thread.start()
    }

    /// Starts `request` and returns once the response status is known (first byte or end).
    ///
    /// Cancelling the calling task cancels the transfer. The response body must be read or cancelled.
    public func execute(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let state = TransferState()
        let id = try post(.start(request, state))
        let status = try await withTaskCancellationHandler {
            try await state.awaitHead()
        } onCancel: {
            self.cancel(id, state: state)
        }
        let head = state.responseHead
        return UpstreamResponse(
            status: status, contentType: head.contentType, redirectURL: head.redirectURL, body: UpstreamBody(id: id, state: state, engine: self)
        )
    }

    /// Stops the transfer `id` now; its reader sees ``UpstreamError/Code/cancelled``.
    func cancel(_ id: Int, state: TransferState) {
        state.markCancelled()
        _ = try? post(.cancel(id))
    }

    /// Lets a paused transfer continue after its reader drained the buffer.
    func resume(_ id: Int) {
        _ = try? post(.resume(id))
    }

    /// Cancels every transfer and stops the thread.
    public func shutdown() {
        _ = try? post(.shutdown)
    }

    @discardableResult
    private func post(_ command: EngineCommand) throws -> Int {
        guard let id = inbox.post(command) else { throw UpstreamError(.engineClosed, message: "the upstream engine is shut down") }
        multi.wakeup()
        return id
    }
}

extension CurlEngine: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        shutdown()
    }
}

/// What tasks ask of the curl thread.
enum EngineCommand: @unchecked Sendable {
    // `TransferState` is Sendable; `UpstreamRequest` too. The unchecked conformance covers only the enum wrapper.
    case start(UpstreamRequest, TransferState, id: Int = 0)
    case cancel(Int)
    case resume(Int)
    case shutdown

    func assigning(_ id: Int) -> EngineCommand {
        if case .start(let request, let state, _) = self { return .start(request, state, id: id) }
        return self
    }
}

/// Commands queued for the curl thread, behind a mutex.
final class CommandInbox: Sendable {
    private struct State {
        var commands: [EngineCommand] = []
        var nextID = 0
        var isClosed = false
    }

    private let state = Locked(State())

    /// Queues `command`, giving a start command a fresh transfer id; nil once shut down.
    func post(_ command: EngineCommand) -> Int? {
        state.withLock { state in
            guard !state.isClosed else { return nil }
            if case .shutdown = command { state.isClosed = true }
            state.nextID += 1
            let id: Int
            if case .start = command { id = state.nextID } else { id = 0 }
            state.commands.append(command.assigning(id))
            return id
        }
    }

    func drain() -> [EngineCommand] {
        state.withLock { state in
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
    }
}

/// Process-wide `curl_global_init`, done once before the first handle exists.
enum CurlGlobal {
    private static let once: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    static func initializeOnce() { _ = once }
}
