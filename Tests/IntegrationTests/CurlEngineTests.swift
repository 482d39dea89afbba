import FakeOllama
import Foundation
import Testing
import Upstream

/// The curl multi engine against the fake Ollama: streaming, backpressure, cancellation, failures.
@Suite("Curl engine")
struct CurlEngineTests {
    static func chat(_ fake: FakeOllama, stream: Bool = true) -> UpstreamRequest {
        UpstreamRequest(
            method: "POST", url: fake.baseURL + "/api/chat", headers: [("Content-Type", "application/json")],
            body: Array(#"{"model":"llama3.2","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#.utf8)
        )
    }

    @Test("Many concurrent streams on one engine thread all complete")
    func concurrentStreams() async throws {
        let fake = try await FakeOllama.start(behavior: .init(chunks: 20, chunkDelay: .milliseconds(2)))
        let engine = CurlEngine(logger: TestServices.logger)
        defer { engine.shutdown() }
        let lines = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let response = try await engine.execute(Self.chat(fake))
                    let bytes = try await response.body.collect(upTo: 1 << 20)
                    return bytes.filter { $0 == 0x0A }.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(lines == Array(repeating: 21, count: 64))
        await fake.stop()
    }

    @Test("Cancelling a stream closes the upstream connection promptly")
    func cancel() async throws {
        let fake = try await FakeOllama.start(behavior: .init(chunks: 1000, chunkDelay: .milliseconds(20)))
        let engine = CurlEngine(logger: TestServices.logger)
        defer { engine.shutdown() }
        let response = try await engine.execute(Self.chat(fake))
        var iterator = response.body.makeAsyncIterator()
        _ = try await iterator.next()
        let started = ContinuousClock.now
        response.body.cancel()
        await #expect {
            while try await iterator.next() != nil {}
        } throws: { ($0 as? UpstreamError)?.code == .cancelled }
        #expect(started.duration(to: .now) < .milliseconds(500))
        await fake.stop()
    }

    @Test("A reader that stops reading pauses the transfer instead of buffering without bound")
    func backpressure() async throws {
        let fake = try await FakeOllama.start(behavior: .init(chunks: 20_000))
        let engine = CurlEngine(logger: TestServices.logger)
        defer { engine.shutdown() }
        let response = try await engine.execute(Self.chat(fake))
        try await Task.sleep(for: .milliseconds(300))
        var iterator = response.body.makeAsyncIterator()
        let first = try #require(try await iterator.next())
        // Unread, at most about one high-water mark (256 KiB) plus one network read was buffered.
        #expect(first.count <= 512 * 1024)
        var total = first.count
        while let chunk = try await iterator.next() { total += chunk.count }
        #expect(total > 1_000_000)
        await fake.stop()
    }

    @Test("Refused connections and slow first bytes fail with distinct codes")
    func failures() async throws {
        let engine = CurlEngine(logger: TestServices.logger)
        defer { engine.shutdown() }
        await #expect {
            _ = try await engine.execute(UpstreamRequest(url: "http://127.0.0.1:9/api/tags"))
        } throws: { ($0 as? UpstreamError)?.code == .connectFailed }

        let fake = try await FakeOllama.start(behavior: .init(firstByteDelay: .seconds(3)))
        var request = Self.chat(fake)
        request.firstByteTimeout = .milliseconds(300)
        await #expect {
            _ = try await engine.execute(request)
        } throws: { ($0 as? UpstreamError)?.code == .firstByteTimeout }
        await fake.stop()
    }
}
