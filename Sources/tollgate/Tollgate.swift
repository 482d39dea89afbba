import ArgumentParser
import Dispatch

/// `tollgate`: the gateway's command line.
///
/// `serve` (the default) runs the gateway, `migrate` applies the database migrations, and `keys` /
/// `users` drive a running gateway's admin API with the master key from `TOLLGATE_MASTER_KEY`.
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "A self-hosted LLM gateway in front of Ollama: keys, limits, budgets and usage.",
        subcommands: [Serve.self, Migrate.self, KeysCommand.self, UsersCommand.self, BenchUsage.self],
        defaultSubcommand: Serve.self
    )
}

/// The process entry point: runs ``Tollgate`` on the cooperative pool and parks the main thread on a
/// semaphore until it returns.
///
/// Not an `async` main, which on Linux parks the main thread in `dispatch_main()`: valgrind (3.19 and
/// 3.24 alike) dies on that `sigsuspend`, and the benchmark's instruction counts run the gateway under
/// callgrind. Nothing in Tollgate or its dependencies uses the main actor or the main queue, which only
/// `dispatch_main()` would serve. A failing command exits from inside `main()` with its own status.
@main
enum TollgateEntry {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: `main` is main-actor isolated, and a task that inherited that would wait for the main
        // queue this thread never serves.
        Task.detached {
            await Tollgate.main()
            finished.signal()
        }
        finished.wait()
    }
}
