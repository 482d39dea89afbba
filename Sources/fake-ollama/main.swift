// Entry point: parse the command line and run the fake Ollama server until SIGINT/SIGTERM.
//
// Not top-level `await`, which makes an async main that parks the main thread in `dispatch_main()`:
// valgrind dies on that, and the benchmark counts the fake's instructions per request under callgrind
// (the HTTP front's floor). So the server runs in a detached task and this thread waits for it.
import ArgumentParser
import Dispatch

let finished = DispatchSemaphore(value: 0)
Task.detached {
    do {
        let command = try FakeOllamaCommand.parse()
        try await command.serve()
    } catch {
        FakeOllamaCommand.exit(withError: error)
    }
    finished.signal()
}
finished.wait()
