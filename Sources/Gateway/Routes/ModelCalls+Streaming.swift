import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Upstream

/// Streamed answers: from Ollama's body, through the dialect's translation, to the client; and the
/// wait with keep-alives for a call Ollama has not begun answering.
extension ModelCalls {
    /// A streamed answer: `translation` turns Ollama's body into the client's bytes as it arrives.
    ///
    /// The usage record is logged before the bytes that complete the answer are sent, so a client that
    /// saw its answer finish can count on the record existing. A client that goes away cancels the
    /// upstream transfer the moment its connection closes, not at the next write (which may be minutes
    /// away while Ollama reads a long prompt).
    ///
    /// `beforeEnd` runs after a completed answer's usage record and before its last bytes (the Responses
    /// route stores the response there, so a follow-up sent the moment the stream ends finds it).
    func streamed(
        _ source: UpstreamSource, translation: some StreamTranslation, contentType: String,
        model: ResolvedModel, meter: RequestMeter, context: GatewayRequestContext, beforeEnd: (@Sendable () async -> Void)? = nil
    ) -> Response {
        let recorder = self.recorder
        let logger = context.logger
        let channel = context.channel
        let keepAliveInterval = self.keepAliveInterval
        let body = ResponseBody { writer in
            var meter = meter
            var pump = StreamPump(translation: translation)
            let upstream: UpstreamResponse
            switch source {
            case .answered(let answered):
                upstream = answered
            case .pending(let pending):
                let started = await Self.await(
                    pending, pump: &pump, model: model, meter: &meter, channel: channel, keepAliveInterval: keepAliveInterval,
                    write: { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
                )
                switch started {
                case .success(let answered):
                    upstream = answered
                case .failure(let ending):
                    if let record = ending.record { await recorder.record(record) }
                    if !ending.clientGone {
                        if !ending.bytes.isEmpty { try? await writer.write(ByteBuffer(bytes: ending.bytes)) }
                        try? await writer.finish(nil)
                    }
                    return
                }
            }
            let watcher = channel.closeWatcher
            let token = watcher?.whenClosed { upstream.body.cancel() }
            // While Ollama is silent (a long prompt can take minutes), the client gets a keep-alive (an SSE
            // comment, Anthropic's `ping`) now and then, so proxies and SDK read timeouts leave it open.
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: keepAliveInterval)
                    upstream.body.wakeIdleReader()
                }
            }
            let ending = await pump.run(upstream.body, meter: &meter) { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
            ticker.cancel()
            if let watcher, let token { watcher.cancel(token) }
            if case .clientGone = ending { upstream.body.cancel() }
            meter.counted(pump.translation.usage, model: model)
            let record: UsageRecord? =
                switch ending {
                case .completed: meter.finish(.ok, status: 200)
                case .clientGone: meter.finish(.clientClosed, status: 499, errorType: "client_closed")
                case .upstreamFailed(let message):
                    meter.finish(.upstreamError, status: 200, errorType: "upstream_error: \(message.prefix(200))")
                case .upstreamTimedOut:
                    meter.finish(.timeout, status: 200, errorType: "upstream_timeout")
                }
            if let record { await recorder.record(record) }
            if ending == .completed, let beforeEnd { await beforeEnd() }
            switch ending {
            case .upstreamFailed(let message): logger.warning("ollama stream failed", metadata: ["error": "\(message)"])
            case .upstreamTimedOut(let message): logger.warning("ollama stream timed out", metadata: ["error": "\(message)"])
            case .completed, .clientGone: break
            }
            if ending != .clientGone {
                if !pump.tail.isEmpty { try? await writer.write(ByteBuffer(bytes: pump.tail)) }
                try? await writer.finish(nil)
            }
        }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"], body: body)
    }

    /// Where a streamed answer comes from: an answer that has begun, or a call still waiting for Ollama.
    enum UpstreamSource: Sendable {
        case answered(UpstreamResponse)
        case pending(PendingUpstream)
    }

    /// How a stream ended before Ollama's answer began: what to log and what to send last.
    struct EarlyEnding: Error {
        var record: UsageRecord?
        var bytes: [UInt8] = []
        var clientGone = false
    }

    /// Waits for a pending call with the stream already open: the dialect's opening bytes first, then a
    /// keep-alive every interval. Ollama's refusal or failure becomes the dialect's in-stream error.
    private static func await(
        _ pending: PendingUpstream, pump: inout StreamPump<some StreamTranslation>, model: ResolvedModel, meter: inout RequestMeter,
        channel: any Channel, keepAliveInterval: Duration, write: ([UInt8]) async throws -> Void
    ) async -> Result<UpstreamResponse, EarlyEnding> {
        let watcher = channel.closeWatcher
        let gone = ClosedFlag()
        let token = watcher?.whenClosed {
            gone.set()
            pending.cancel()
        }
        defer { if let watcher, let token { watcher.cancel(token) } }
        var result: Result<UpstreamResponse, any Error>?
        do {
            try await write(pump.begin())
            while true {
                if let ready = await pending.wait(upTo: keepAliveInterval) {
                    result = ready
                    break
                }
                try await write(pump.translation.keepAlive())
            }
        } catch {
            pending.cancel()
        }
        guard let result, !gone.isSet else {
            return .failure(EarlyEnding(record: meter.finish(.clientClosed, status: 499, errorType: "client_closed"), clientGone: true))
        }
        let failure: DialectError
        switch result {
        case .success(let upstream) where upstream.status == 200:
            return .success(upstream)
        case .success(let upstream):
            let body = (try? await upstream.body.collect(upTo: 64 * 1024)) ?? []
            failure = UpstreamErrors.dialectError(status: upstream.status, body: body, model: model.publicName)
        case .failure(let error as UpstreamError):
            failure = UpstreamErrors.dialectError(error)
        case .failure(let refusal as Fleet.Refusal):
            failure = FleetErrors.dialectError(refusal, model: model.publicName)
        case .failure:
            failure = DialectError(.upstreamUnavailable, "The call to Ollama failed.", code: "upstream_error")
        }
        let record = meter.finish(failure)
        return .failure(EarlyEnding(record: record, bytes: pump.fail(failure.message)))
    }
}
