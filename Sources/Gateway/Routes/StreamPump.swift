import Dialects
import Upstream

/// Moves one streamed answer from Ollama to the client through a ``StreamTranslation``.
///
/// Writes wait for the client, and the upstream body is read only as fast as the client takes it, so a
/// slow client slows curl instead of filling memory. The bytes that complete the answer are kept in
/// ``tail`` rather than written, so the route can log the request's usage before the client sees the end.
struct StreamPump<Translation: StreamTranslation> {
    enum Ending: Equatable {
        case completed
        case clientGone
        case upstreamFailed(String)
        /// Ollama went silent past the idle bound, or the request ran past its time limit.
        case upstreamTimedOut(String)
    }

    private struct ClientGone: Error {}

    private(set) var translation: Translation
    /// The last bytes of a finished answer, still to be written.
    private(set) var tail: [UInt8] = []
    /// Whether the dialect's opening bytes went out already (before Ollama answered).
    private var begun = false

    init(translation: Translation) { self.translation = translation }

    /// The dialect's opening bytes, sent before Ollama's answer began.
    mutating func begin() -> [UInt8] {
        begun = true
        return translation.start()
    }

    /// The dialect's in-stream error, for a stream that ends before Ollama's answer began.
    mutating func fail(_ message: String) -> [UInt8] { translation.broken(message) }

    /// Runs until the answer ends, the upstream fails, or the client goes away.
    mutating func run(_ body: UpstreamBody, meter: inout RequestMeter, write: ([UInt8]) async throws -> Void) async -> Ending {
        func send(_ bytes: [UInt8]) async throws {
            guard !bytes.isEmpty else { return }
            do { try await write(bytes) } catch { throw ClientGone() }
        }
        do {
            if !begun { try await send(begin()) }
            for try await chunk in body {
                // An empty chunk is an idle tick (see `ModelCalls.streamed`): Ollama is still reading the prompt.
                if chunk.isEmpty {
                    try await send(translation.keepAlive())
                    continue
                }
                let out = translation.translate(chunk, observer: &meter)
                if translation.isFinished {
                    tail = out
                    break
                }
                try await send(out)
            }
            if !translation.isFinished {
                tail = translation.finish(observer: &meter)
            }
            if !translation.isFinished {
                tail += translation.broken("Ollama ended the stream early.")
                return .upstreamFailed("stream ended before done")
            }
            if let failure = translation.failure { return .upstreamFailed(failure) }
            return .completed
        } catch is ClientGone {
            return .clientGone
        } catch {
            if Task.isCancelled || (error as? UpstreamError)?.code == .cancelled { return .clientGone }
            if let error = error as? UpstreamError, error.code.isTimeout {
                tail = translation.broken(UpstreamErrors.dialectError(error).message)
                return .upstreamTimedOut(error.message)
            }
            let message = (error as? UpstreamError)?.message ?? "\(error)"
            tail = translation.broken("The connection to Ollama failed mid-stream.")
            return .upstreamFailed(message)
        }
    }
}
