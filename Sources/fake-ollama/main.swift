// Entry point: parse the command line and run the fake Ollama server until SIGINT/SIGTERM.
// (Top-level code would pick ArgumentParser's synchronous `main()`, so call `serve()` directly.)
import ArgumentParser

do {
    let command = try FakeOllamaCommand.parse()
    try await command.serve()
} catch {
    FakeOllamaCommand.exit(withError: error)
}
