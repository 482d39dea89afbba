/// How keys and users from the admin API look in a terminal: tables for lists, `field: value`
/// blocks for single objects.
enum AdminViews {
    // MARK: Keys

    /// The key list table; `wide` adds each key's token (the hash other commands accept) and parallelism.
    static func keyTable(_ keys: [JSONObject], wide: Bool = false) -> TextTable {
        let headers = ["KEY NAME", "ALIAS", "USER", "MODELS", "RPM", "TPM", "BUDGET", "SPEND", "EXPIRES", "BLOCKED"]
        var table = TextTable(headers: wide ? ["TOKEN"] + headers.prefix(6) + ["PARALLEL"] + headers.dropFirst(6) : headers)
        for key in keys {
            var row = [
                Cell.text(key["key_name"]), Cell.text(key["key_alias"]), Cell.text(key["user_id"]), Cell.models(key["models"]),
                Cell.count(key["rpm_limit"]), Cell.count(key["tpm_limit"]),
                Cell.budget(key["max_budget"], period: key["budget_duration"]), Cell.dollars(key["spend"]),
                Cell.time(key["expires"], expiry: true), Cell.flag(key["blocked"]),
            ]
            if wide {
                row.insert(Cell.count(key["max_parallel_requests"]), at: 6)
                row.insert(Cell.text(key["token"]), at: 0)
            }
            table.rows.append(row)
        }
        return table
    }

    /// Every field of one key, in the API's names.
    static func keyBlock(_ key: JSONObject) -> FieldBlock {
        var block = FieldBlock()
        block.add("token", Cell.text(key["token"]))
        block.add("key_name", Cell.text(key["key_name"]))
        block.add("key_alias", Cell.text(key["key_alias"]))
        block.add("user_id", Cell.text(key["user_id"]))
        addLimits(of: key, to: &block)
        block.add("expires", Cell.time(key["expires"], expiry: true))
        block.add("blocked", Cell.flag(key["blocked"]))
        block.add("metadata", metadata(key["metadata"]))
        block.add("created_at", Cell.time(key["created_at"]))
        block.add("updated_at", Cell.time(key["updated_at"]))
        return block
    }

    /// The lines that hand over a new secret (from create, regenerate or a user's first key): the secret
    /// alone on its line, and the warning that it will not be shown again.
    static func secretNotice(_ secret: String) -> String {
        """
        secret: \(secret)

        Store this secret now: it will not be shown again (the gateway keeps only its hash).
        Other commands name the key by this secret, by its token or by its alias.

        """
    }

    // MARK: Users

    static func userTable(_ users: [JSONObject]) -> TextTable {
        var table = TextTable(headers: ["USER ID", "ALIAS", "EMAIL", "MODELS", "RPM", "TPM", "PARALLEL", "BUDGET", "SPEND", "CREATED"])
        for user in users {
            table.rows.append([
                Cell.text(user["user_id"]), Cell.text(user["user_alias"]), Cell.text(user["user_email"]), Cell.models(user["models"]),
                Cell.count(user["rpm_limit"]), Cell.count(user["tpm_limit"]), Cell.count(user["max_parallel_requests"]),
                Cell.budget(user["max_budget"], period: user["budget_duration"]), Cell.dollars(user["spend"]), Cell.time(user["created_at"]),
            ])
        }
        return table
    }

    /// Every field of one user, in the API's names.
    static func userBlock(_ user: JSONObject) -> FieldBlock {
        var block = FieldBlock()
        block.add("user_id", Cell.text(user["user_id"]))
        block.add("user_alias", Cell.text(user["user_alias"]))
        block.add("user_email", Cell.text(user["user_email"]))
        addLimits(of: user, to: &block)
        block.add("metadata", metadata(user["metadata"]))
        block.add("created_at", Cell.time(user["created_at"]))
        block.add("updated_at", Cell.time(user["updated_at"]))
        return block
    }

    // MARK: Shared

    /// Models, rates, parallelism, budget and spend, which keys and users share.
    private static func addLimits(of object: JSONObject, to block: inout FieldBlock) {
        block.add("models", Cell.models(object["models"]))
        block.add("rpm_limit", Cell.count(object["rpm_limit"]))
        block.add("tpm_limit", Cell.count(object["tpm_limit"]))
        block.add("max_parallel_requests", Cell.count(object["max_parallel_requests"]))
        block.add("max_budget", Cell.dollars(object["max_budget"]))
        block.add("budget_duration", Cell.text(object["budget_duration"]))
        block.add("budget_reset_at", Cell.time(object["budget_reset_at"]))
        block.add("spend", Cell.dollars(object["spend"]))
    }

    /// Metadata as compact JSON; `-` when empty.
    private static func metadata(_ value: Any?) -> String {
        if let object = value as? JSONObject, object.isEmpty { return Cell.none }
        return Cell.text(value)
    }

    /// `page 1 of 3 (25 keys)`, under a list; `noun` is singular (`key`).
    static func pageLine(page: Any?, pages: Any?, total: Any?, noun: String) -> String {
        let count = Cell.count(total)
        return "page \(Cell.count(page)) of \(Cell.count(pages)) (\(count) \(noun)\(count == "1" ? "" : "s"))"
    }
}
