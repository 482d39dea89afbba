internal import CCurl
import Logging

/// The body of the curl thread: applies queued commands, drives the multi handle, finishes transfers.
///
/// Confined to that thread; the engine hands it commands only through ``CurlEngine``'s inbox.
final class EngineLoop: @unchecked Sendable {
    private let multi: MultiHandle
    private let logger: Logger
    private var active: [Int: Transfer] = [:]

    init(multi: MultiHandle, logger: Logger) {
        self.multi = multi
        self.logger = logger
    }

    /// Runs until a shutdown command; `drain` returns the commands queued since the last call.
    func run(drain: () -> [EngineCommand]) {
        while true {
            var shuttingDown = false
            for command in drain() {
                switch command {
                case .start(let request, let state, let id): start(id: id, request: request, state: state)
                case .cancel(let id): finish(id, .failure(UpstreamError(.cancelled, message: "transfer cancelled")))
                case .resume(let id): active[id]?.resume()
                case .shutdown: shuttingDown = true
                }
            }
            if shuttingDown {
                for id in Array(active.keys) {
                    finish(id, .failure(UpstreamError(.engineClosed, message: "the upstream engine is shut down")))
                }
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi.raw, &running)
            collectFinished()
            let timeout = expireDeadlines()
            curl_multi_poll(multi.raw, nil, 0, timeout, nil)
        }
    }

    private func start(id: Int, request: UpstreamRequest, state: TransferState) {
        do {
            let transfer = try Transfer(id: id, request: request, state: state)
            let code = curl_multi_add_handle(multi.raw, transfer.easy)
            guard code == CURLM_OK else {
                state.finish(.failure(UpstreamError(.transferFailed, message: String(cString: curl_multi_strerror(code)))), status: 0)
                return
            }
            active[id] = transfer
        } catch let error as UpstreamError {
            state.finish(.failure(error), status: 0)
        } catch {
            state.finish(.failure(UpstreamError(.transferFailed, message: "\(error)")), status: 0)
        }
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi.raw, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = Transfer.from(easy: easy)
            else { continue }
            let code = message.pointee.data.result
            finish(transfer.id, transfer.outcome(code))
        }
    }

    private func finish(_ id: Int, _ outcome: Result<Void, UpstreamError>) {
        guard let transfer = active.removeValue(forKey: id) else { return }
        curl_multi_remove_handle(multi.raw, transfer.easy)
        transfer.recordHead()
        transfer.state.finish(outcome, status: transfer.responseCode)
    }

    /// Fails transfers past a deadline (first byte, idle, total); returns how long the next poll may sleep (ms).
    private func expireDeadlines() -> Int32 {
        let now = ContinuousClock.now
        var sleep = Duration.milliseconds(1000)
        var expired: [(Int, UpstreamError)] = []
        for (id, transfer) in active {
            let (error, next) = transfer.deadline(at: now)
            if let error { expired.append((id, error)) } else if let next { sleep = min(sleep, now.duration(to: next)) }
        }
        for (id, error) in expired {
            logger.debug("upstream transfer timed out", metadata: ["code": "\(error.code)"])
            finish(id, .failure(error))
        }
        return Int32(max(1, sleep.milliseconds))
    }
}
