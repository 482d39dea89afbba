import ArgumentParser

extension KeysCommand {
    /// `keys block KEY`: the key is refused until unblocked.
    struct Block: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Block a key: requests with it are refused until it is unblocked.")

        @Argument(help: "The key: its secret (sk-…), token or alias.")
        var key: String

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await setBlocked(true, key: key, admin: admin)
        }
    }

    /// `keys unblock KEY`: lets a blocked key through again.
    struct Unblock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unblock a key.")

        @Argument(help: "The key: its secret (sk-…), token or alias.")
        var key: String

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await setBlocked(false, key: key, admin: admin)
        }
    }

    /// `keys delete KEY… | --alias A…`: removes keys for good.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete keys, named by secret, token or alias.",
            discussion: "Exits 1 if any key named was not found (the others are still deleted)."
        )

        @Argument(help: "The keys: secrets (sk-…), tokens or aliases.")
        var keys: [String] = []

        @Option(name: .customLong("alias"), help: ArgumentHelp("A key to delete by its alias (repeatable).", valueName: "alias"))
        var aliases: [String] = []

        @OptionGroup var admin: AdminOptions

        func validate() throws {
            if keys.isEmpty && aliases.isEmpty { throw ValidationError("Name at least one key, or give --alias.") }
        }

        func run() async throws {
            let byKey = keys.filter(KeyReference.isSecretOrToken)
            let byAlias = keys.filter { !KeyReference.isSecretOrToken($0) } + aliases
            var body: JSONObject = [:]
            if !byKey.isEmpty { body["keys"] = byKey }
            if !byAlias.isEmpty { body["key_aliases"] = byAlias }
            var missing: [String] = []
            try await admin.withClient { client in
                let answer = try await client.post("/key/delete", body: body)
                let deleted = answer["deleted_keys"] as? [String] ?? []
                missing = (byKey + byAlias).filter { !deleted.contains($0) }
                if admin.json { return admin.printJSON(answer) }
                print("deleted \(deleted.count) key\(deleted.count == 1 ? "" : "s"): \(deleted.map(KeyReference.shown).joined(separator: ", "))")
            }
            if !missing.isEmpty {
                printError("tollgate: not found: \(missing.map(KeyReference.shown).joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }

    /// `keys regenerate KEY`: a new secret for the same key; the old secret stops working.
    struct Regenerate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a key a new secret, shown only this once; the old secret stops working at once."
        )

        @Argument(help: "The key: its secret (sk-…), token or alias.")
        var key: String

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                let reference = try await KeyReference.resolve(key, client: client)
                let regenerated = try await client.post("/key/regenerate", body: ["key": reference])
                if admin.json { return admin.printJSON(regenerated) }
                if let secret = regenerated["key"] as? String { print(AdminViews.secretNotice(secret)) }
                print(AdminViews.keyBlock(regenerated).render())
            }
        }
    }

    /// Blocks or unblocks `key`, saying which key and what it is now.
    static func setBlocked(_ blocked: Bool, key: String, admin: AdminOptions) async throws {
        try await admin.withClient { client in
            let reference = try await KeyReference.resolve(key, client: client)
            let answer = try await client.post(blocked ? "/key/block" : "/key/unblock", body: ["key": reference])
            if admin.json { return admin.printJSON(answer) }
            let alias = (answer["key_alias"] as? String).map { " (\($0))" } ?? ""
            print("\(blocked ? "blocked" : "unblocked") \(Cell.text(answer["key_name"]))\(alias)")
        }
    }
}

/// How the key commands name a key: by its secret (`sk-…`) or token (64 hex digits), which the gateway
/// takes as they are, or else by its alias, which is looked up first.
enum KeyReference {
    /// True for what the gateway itself accepts as a key reference.
    static func isSecretOrToken(_ reference: String) -> Bool {
        reference.hasPrefix("sk-") || (reference.count == 64 && reference.allSatisfy(\.isHexDigit))
    }

    /// The secret or token for `reference`: as given, or the token of the one key with that alias.
    static func resolve(_ reference: String, client: AdminClient) async throws -> String {
        if isSecretOrToken(reference) { return reference }
        let answer = try await client.get("/key/list", query: [("key_alias", reference), ("return_full_object", "true"), ("size", "2")])
        let keys = (answer["keys"] as? [Any] ?? []).compactMap { $0 as? JSONObject }
        guard keys.count == 1, let token = keys[0]["token"] as? String else {
            throw AdminFailure.refused(
                keys.isEmpty
                    ? "no key has the alias '\(reference)' (name a key by its secret sk-…, its token or its alias)"
                    : "more than one key has the alias '\(reference)'; name it by its token"
            )
        }
        return token
    }

    /// A reference as echoed back: a secret shortened like the gateway shows it (`sk-…abcd`), anything else as is.
    static func shown(_ reference: String) -> String {
        reference.hasPrefix("sk-") && reference.count > 8 ? "sk-…" + reference.suffix(4) : reference
    }
}
