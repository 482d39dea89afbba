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

    @Option(help: "Delay before the first byte of a reply, in milliseconds (a slow backend).")
    var firstByteDelayMs = 0

    @Option(help: "Generation time of a non-streamed reply, in milliseconds (default: chunks x chunk delay).")
    var wholeReplyDelayMs: Int?

    @Option(help: "Installed models, comma-separated (default: llama3.2, qwen3, nomic-embed-text, llava). Other names are chat models.")
    var models: String?

    @Option(help: "Models /api/ps reports loaded from the start, comma-separated.")
    var loaded = ""

    @Option(help: "Answer every chat/generate call with this HTTP status (e.g. 500) instead of a reply.")
    var failStatus: Int?

    @Option(help: "Stream this many chunks, then reset the connection (a backend dying mid-stream).")
    var dropAfter: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard chunks >= 0, chunkDelayMs >= 0, firstByteDelayMs >= 0, (wholeReplyDelayMs ?? 0) >= 0, (dropAfter ?? 0) >= 0 else {
            throw ValidationError("--chunks, --drop-after and delays must not be negative")
        }
        if let failStatus, !(400...599).contains(failStatus) { throw ValidationError("--fail-status must be 400...599") }
    }

    func run() async throws {
        try await serve()
    }

    /// Runs the server until SIGINT/SIGTERM, printing the listening line once it is up.
    func serve() async throws {
        var behavior = FakeOllamaBehavior(
            chunks: chunks,
            chunkDelay: .milliseconds(chunkDelayMs),
            firstByteDelay: .milliseconds(firstByteDelayMs),
            wholeReplyDelay: wholeReplyDelayMs.map { .milliseconds($0) }
        )
        if let failStatus { behavior.failure = .status(failStatus, "injected failure") }
        if let dropAfter { behavior.failure = .dropAfter(chunks: dropAfter) }
        let installed = models.map { FakeModel.named(Self.list($0)) } ?? FakeModel.defaults
        let host = self.host
        try await FakeOllama.serve(host: host, port: port, models: installed, loaded: Self.list(loaded), behavior: behavior) { fake in
            let line = "fake-ollama listening on http://\(host):\(fake.port)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
