import ArgumentParser

/// `tollgate users …`: users who own keys, with limits and a budget over all their keys (`/user/*`).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create, list, change and delete users on a running gateway.",
        discussion: "The master key is read from $TOLLGATE_MASTER_KEY.",
        subcommands: [Create.self, List.self, Info.self, Update.self, Delete.self]
    )

    /// `users create`: makes a user and, unless `--no-key`, a first key for it.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and, unless --no-key, a first key for it (its secret is shown only this once)."
        )

        @Option(name: .customLong("id"), help: ArgumentHelp("The user's id (default: a new UUID).", valueName: "user-id"))
        var userID: String?

        @OptionGroup var fields: UserFieldOptions

        @Flag(help: "Do not create a first key for the user.")
        var noKey = false

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            var body = try fields.body()
            if let userID { body["user_id"] = userID }
            if noKey { body["auto_create_key"] = false }
            try await admin.withClient { client in
                let user = try await client.post("/user/new", body: body)
                if admin.json { return admin.printJSON(user) }
                if let secret = user["key"] as? String { print(AdminViews.secretNotice(secret)) }
                var block = AdminViews.userBlock(user)
                if user["token"] != nil {
                    block.add("key_name", Cell.text(user["key_name"]))
                    block.add("key_token", Cell.text(user["token"]))
                }
                print(block.render())
            }
        }
    }

    /// `users list`: one page of users as a table.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, a page at a time.")

        @Option(help: "The page to show, from 1.")
        var page: Int?

        @Option(help: "Users per page, 1 to 100 (default: 10).")
        var size: Int?

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                let answer = try await client.get("/user/list", query: [("page", page.map(String.init)), ("page_size", size.map(String.init))])
                if admin.json { return admin.printJSON(answer) }
                let users = (answer["users"] as? [Any] ?? []).compactMap { $0 as? JSONObject }
                guard !users.isEmpty else { return print("no users") }
                print(AdminViews.userTable(users).render())
                print(AdminViews.pageLine(page: answer["page"], pages: answer["total_pages"], total: answer["total"], noun: "user"))
            }
        }
    }

    /// `users info ID`: every field of one user, and its keys.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user and its keys.")

        @Argument(help: "The user's id.")
        var userID: String

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                let answer = try await client.get("/user/info", query: [("user_id", userID)])
                if admin.json { return admin.printJSON(answer) }
                print(AdminViews.userBlock(answer["user_info"] as? JSONObject ?? [:]).render())
                let keys = (answer["keys"] as? [Any] ?? []).compactMap { $0 as? JSONObject }
                print("")
                print(keys.isEmpty ? "no keys" : "keys:\n" + AdminViews.keyTable(keys).render())
            }
        }
    }

    /// `users update ID`: changes the fields given; the others stay as they are.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a user's alias, email, limits, budget or metadata.",
            discussion: "Only the options given change. A limit set to none is lifted."
        )

        @Argument(help: "The user's id.")
        var userID: String

        @OptionGroup var fields: UserFieldOptions
        @OptionGroup var admin: AdminOptions

        func validate() throws {
            if try fields.body().isEmpty { throw ValidationError("Nothing to change: give at least one option, such as --rpm or --email.") }
        }

        func run() async throws {
            var body = try fields.body()
            body["user_id"] = userID
            try await admin.withClient { client in
                let updated = try await client.post("/user/update", body: body)
                if admin.json { return admin.printJSON(updated) }
                print(AdminViews.userBlock(updated).render())
            }
        }
    }

    /// `users delete ID…`: removes users and every key they own.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete users and every key they own.",
            discussion: "Exits 1 if any user named was not found (the others are still deleted)."
        )

        @Argument(help: "The users' ids.")
        var userIDs: [String]

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            var missing: [String] = []
            try await admin.withClient { client in
                let answer = try await client.post("/user/delete", body: ["user_ids": userIDs])
                let deleted = answer["deleted_users"] as? [String] ?? []
                missing = userIDs.filter { !deleted.contains($0) }
                if admin.json { return admin.printJSON(answer) }
                let keys = Cell.count(answer["deleted_keys"])
                print("deleted \(deleted.count) user\(deleted.count == 1 ? "" : "s"): \(deleted.joined(separator: ", ")) (and \(keys) key\(keys == "1" ? "" : "s"))")
            }
            if !missing.isEmpty {
                printError("tollgate: not found: \(missing.joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }
}
