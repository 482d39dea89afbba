import Dialects
import Upstream

/// Moves one streamed answer from Ollama to the client: split NDJSON lines, decode native chunks,
/// encode them in the client's dialect, write. Writes wait for the client, and the upstream body is
/// read only as fast as the client takes it, so a slow client slows curl instead of filling memory.
struct StreamPump {
    enum Ending: Equatable {
        case completed
        case clientGone
        case upstreamFailed(String)
    }

    private struct ClientGone: Error {}

    var encoder: OpenAIStreamEncoder
    private(set) var decoder = NativeChatDecoder()
    private var splitter = LineSplitter()

    init(encoder: OpenAIStreamEncoder) { self.encoder = encoder }

    /// Runs until the answer ends, the upstream fails, or the client goes away.
    mutating func run(
        _ body: UpstreamBody, meter: inout RequestMeter, write: ([UInt8]) async throws -> Void
    ) async -> Ending {
        func send(_ bytes: [UInt8]) async throws {
            guard !bytes.isEmpty else { return }
            do { try await write(bytes) } catch { throw ClientGone() }
        }
        do {
            for try await chunk in body {
                var out: [UInt8] = []
                for line in splitter.append(chunk) { out += translate(line, meter: &meter) }
                try await send(out)
                if decoder.isFinished { break }
            }
            if !decoder.isFinished, let last = splitter.finish() { try await send(translate(last, meter: &meter)) }
            if !decoder.isFinished {
                try await send(encoder.encode(.failed(message: "Ollama ended the stream early.")))
                return .upstreamFailed("stream ended before done")
            }
            if let failure = failureMessage { return .upstreamFailed(failure) }
            return .completed
        } catch is ClientGone {
            return .clientGone
        } catch {
            let message = (error as? UpstreamError)?.message ?? "\(error)"
            if (error as? UpstreamError)?.code == .cancelled { return .clientGone }
            try? await send(encoder.encode(.failed(message: "The connection to Ollama failed mid-stream.")))
            return .upstreamFailed(message)
        }
    }

    private var failureMessage: String?

    private mutating func translate(_ line: [UInt8], meter: inout RequestMeter) -> [UInt8] {
        var out: [UInt8] = []
        for event in decoder.decode(line: line) {
            switch event {
            case .text, .thinking, .toolCall: meter.firstToken()
            case .failed(let message): failureMessage = message
            case .finished: break
            }
            meter.capturedResponse(event)
            out += encoder.encode(event)
        }
        return out
    }
}
