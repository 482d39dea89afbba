import ArgumentParser

/// `tollgate keys …`: virtual keys on a running gateway, through its admin API (`/key/*`).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list, change and revoke virtual keys on a running gateway.",
        discussion: """
            The master key is read from $TOLLGATE_MASTER_KEY. A KEY is named by its secret (sk-…), its token \
            (the 64-digit hash that `keys list --wide` shows) or its alias.
            """,
        subcommands: [Create.self, List.self, Info.self, Update.self, Block.self, Unblock.self, Delete.self, Regenerate.self]
    )

    /// `keys create`: makes a key and shows its secret, once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its secret is shown only this once.")

        @OptionGroup var fields: KeyFieldOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let body = try fields.body()
            try await admin.withClient { client in
                let key = try await client.post("/key/generate", body: body)
                if admin.json { return admin.printJSON(key) }
                if let secret = key["key"] as? String { print(AdminViews.secretNotice(secret)) }
                print(AdminViews.keyBlock(key).render())
            }
        }
    }

    /// `keys list`: one page of keys as a table.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys, a page at a time.")

        @Option(help: ArgumentHelp("Only the keys of this user.", valueName: "user-id"))
        var user: String?

        @Option(help: ArgumentHelp("Only the key with this alias.", valueName: "alias"))
        var alias: String?

        @Option(help: "The page to show, from 1.")
        var page: Int?

        @Option(help: "Keys per page, 1 to 100 (default: 10).")
        var size: Int?

        @Flag(help: "Also show each key's token (the hash other commands accept) and parallel limit.")
        var wide = false

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                let answer = try await client.get("/key/list", query: [
                    ("page", page.map(String.init)), ("size", size.map(String.init)), ("user_id", user), ("key_alias", alias),
                    ("return_full_object", "true"),
                ])
                if admin.json { return admin.printJSON(answer) }
                let keys = (answer["keys"] as? [Any] ?? []).compactMap { $0 as? JSONObject }
                guard !keys.isEmpty else { return print("no keys") }
                print(AdminViews.keyTable(keys, wide: wide).render())
                print(AdminViews.pageLine(page: answer["current_page"], pages: answer["total_pages"], total: answer["total_count"], noun: "key"))
            }
        }
    }

    /// `keys info KEY`: every field of one key.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key.")

        @Argument(help: "The key: its secret (sk-…), token or alias.")
        var key: String

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                let reference = try await KeyReference.resolve(key, client: client)
                let answer = try await client.get("/key/info", query: [("key", reference)])
                if admin.json { return admin.printJSON(answer) }
                print(AdminViews.keyBlock(answer["info"] as? JSONObject ?? [:]).render())
            }
        }
    }

    /// `keys update KEY`: changes the fields given; the others stay as they are.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a key's alias, owner, limits, budget, expiry or metadata.",
            discussion: "Only the options given change. A limit set to none is lifted; --duration never removes the expiry."
        )

        @Argument(help: "The key: its secret (sk-…), token or alias.")
        var key: String

        @OptionGroup var fields: KeyFieldOptions
        @OptionGroup var admin: AdminOptions

        func validate() throws {
            if try fields.body().isEmpty { throw ValidationError("Nothing to change: give at least one option, such as --rpm or --alias.") }
        }

        func run() async throws {
            var body = try fields.body()
            try await admin.withClient { client in
                body["key"] = try await KeyReference.resolve(key, client: client)
                let updated = try await client.post("/key/update", body: body)
                if admin.json { return admin.printJSON(updated) }
                print(AdminViews.keyBlock(updated).render())
            }
        }
    }
}
