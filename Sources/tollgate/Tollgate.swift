import ArgumentParser

/// `tollgate`: the gateway's command line.
///
/// `serve` (the default) runs the gateway, `migrate` applies the database migrations, and `keys` /
/// `users` drive a running gateway's admin API with the master key from `TOLLGATE_MASTER_KEY`.
@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "A self-hosted LLM gateway in front of Ollama: keys, limits, budgets and usage.",
        subcommands: [Serve.self, Migrate.self, KeysCommand.self, UsersCommand.self, BenchUsage.self],
        defaultSubcommand: Serve.self
    )
}
