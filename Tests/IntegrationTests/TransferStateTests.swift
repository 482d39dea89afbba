import Dispatch
import Foundation
import Testing
@testable import Upstream

/// The state shared by curl's thread and the reading task, alone: no curl, no server.
@Suite("TransferState")
struct TransferStateTests {
    /// A producer as fast as curl on loopback against a reader: each pause must be reported to the reader
    /// that drains it, or the transfer would stay paused forever. 4 MiB in 4 KiB pieces through a 256 KiB
    /// high-water mark pauses many times, at every moment of the reader's cycle.
    @Test("every pause is resumed by the read that drains it, whenever the bytes arrive")
    func pausesAreAlwaysResumed() async throws {
        let state = TransferState()
        let resumed = DispatchSemaphore(value: 0)
        let chunk = [UInt8](repeating: 7, count: 4 * 1024)
        let chunks = 1024
        let producer = Thread {
            var sent = 0
            while sent < chunks {
                switch state.deliver(chunk, status: 200) {
                case .accepted:
                    sent += 1
                case .pause:
                    // curl keeps the bytes and offers them again once resumed.
                    guard resumed.wait(timeout: .now() + 10) == .success else {
                        state.finish(.failure(UpstreamError(.transferFailed, message: "left paused")), status: 200)
                        return
                    }
                case .abort:
                    return
                }
            }
            state.finish(.success(()), status: 200)
        }
        producer.start()
        var received = 0
        var pauses = 0
        while true {
            let (bytes, resume) = try await state.nextChunk()
            if resume {
                pauses += 1
                resumed.signal()
            }
            guard let bytes else { break }
            received += bytes.count
        }
        #expect(received == chunks * chunk.count)
        #expect(pauses > 0, "the producer outran the reader at least once")
    }
}
