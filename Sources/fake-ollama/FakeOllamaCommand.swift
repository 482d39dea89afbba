import ArgumentParser
import FakeOllama
import Foundation

/// `fake-ollama`: a stand-in Ollama server for benchmarks and manual testing.
struct FakeOllamaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-ollama",
        abstract: "Serve a fake Ollama API (native /api/* wire format) with scripted replies."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port = 11434

    @Option(help: "Text chunks per chat/generate reply.")
    var chunks = 5

    @Option(help: "Delay between streamed chunks, in milliseconds.")
    var chunkDelayMs = 0

    @Option(help: "Delay before the first byte of a reply, in milliseconds.")
    var firstByteDelayMs = 0

    @Option(help: "Generation time of a non-streamed reply, in milliseconds (default: chunks x chunk delay).")
    var wholeReplyDelayMs: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard chunks >= 0, chunkDelayMs >= 0, firstByteDelayMs >= 0, (wholeReplyDelayMs ?? 0) >= 0 else {
            throw ValidationError("--chunks and delays must not be negative")
        }
    }

    func run() async throws {
        try await serve()
    }

    /// Runs the server until SIGINT/SIGTERM, printing the listening line once it is up.
    func serve() async throws {
        let behavior = FakeOllamaBehavior(
            chunks: chunks,
            chunkDelay: .milliseconds(chunkDelayMs),
            firstByteDelay: .milliseconds(firstByteDelayMs),
            wholeReplyDelay: wholeReplyDelayMs.map { .milliseconds($0) }
        )
        let host = self.host
        try await FakeOllama.serve(host: host, port: port, behavior: behavior) { fake in
            let line = "fake-ollama listening on http://\(host):\(fake.port)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
