import ArgumentParser
import Foundation

/// An option value that may also be `none` (or `null`, `unlimited`), which clears the field: the
/// request then carries JSON `null`, which `update` commands use to lift a limit.
enum Clearable<Value: ExpressibleByArgument>: ExpressibleByArgument {
    case set(Value)
    case clear

    init?(argument: String) {
        if ["none", "null", "unlimited"].contains(argument.lowercased()) {
            self = .clear
        } else if let value = Value(argument: argument) {
            self = .set(value)
        } else {
            return nil
        }
    }

    /// The value as `JSONSerialization` writes it.
    var json: Any {
        switch self {
        case .set(let value): value
        case .clear: NSNull()
        }
    }
}

/// The limits keys and users share: models, rates, parallelism, budget and metadata.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Models allowed, comma-separated (aliases or Ollama names); \"\" or all: every model.", valueName: "m1,m2"))
    var models: String?

    @Option(help: ArgumentHelp("Requests per minute; none: unlimited.", valueName: "n"))
    var rpm: Clearable<Int>?

    @Option(help: ArgumentHelp("Tokens per minute; none: unlimited.", valueName: "n"))
    var tpm: Clearable<Int>?

    @Option(help: ArgumentHelp("Requests in flight at once; none: unlimited.", valueName: "n"))
    var parallel: Clearable<Int>?

    @Option(help: ArgumentHelp("Budget in US dollars; none: unlimited.", valueName: "dollars"))
    var maxBudget: Clearable<Double>?

    @Option(help: ArgumentHelp("Budget period after which spend resets (1h, 1d, 7d, 30d, 1mo); none: never.", valueName: "period"))
    var budgetDuration: Clearable<String>?

    @Option(help: ArgumentHelp("Free-form metadata, a JSON object.", valueName: "json"))
    var metadata: String?

    func validate() throws {
        if let metadata { _ = try Self.parseMetadata(metadata) }
    }

    /// Adds the fields given on the command line to a request body, in the API's names.
    func add(to body: inout JSONObject) throws {
        if let models {
            let list = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            body["models"] = list == ["all"] ? [String]() : list
        }
        if let rpm { body["rpm_limit"] = rpm.json }
        if let tpm { body["tpm_limit"] = tpm.json }
        if let parallel { body["max_parallel_requests"] = parallel.json }
        if let maxBudget { body["max_budget"] = maxBudget.json }
        if let budgetDuration { body["budget_duration"] = budgetDuration.json }
        if let metadata { body["metadata"] = try Self.parseMetadata(metadata) }
    }

    static func parseMetadata(_ text: String) throws -> JSONObject {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? JSONObject else {
            throw ValidationError("--metadata must be a JSON object, such as '{\"team\":\"search\"}'.")
        }
        return object
    }
}

/// The settable fields of a key, for `keys create` and `keys update`.
struct KeyFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A unique name for the key.", valueName: "alias"))
    var alias: String?

    @Option(help: ArgumentHelp("The user who owns the key (created if new).", valueName: "user-id"))
    var user: String?

    @OptionGroup var limits: LimitOptions

    @Option(help: ArgumentHelp("Lifetime from now (30s, 30m, 30h, 30d, 1mo); never: no expiry.", valueName: "period"))
    var duration: String?

    @Flag(inversion: .prefixedNo, help: "Block the key (--no-blocked: unblock it).")
    var blocked: Bool?

    /// The request fields these options set; absent options are left out, so an update keeps them.
    func body() throws -> JSONObject {
        var body: JSONObject = [:]
        if let alias { body["key_alias"] = alias }
        if let user { body["user_id"] = user }
        try limits.add(to: &body)
        if let duration { body["duration"] = ["never", "none", "-1"].contains(duration.lowercased()) ? NSNull() : duration }
        if let blocked { body["blocked"] = blocked }
        return body
    }
}

/// The settable fields of a user, for `users create` and `users update`.
struct UserFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A display name for the user.", valueName: "alias"))
    var alias: String?

    @Option(help: ArgumentHelp("The user's email address.", valueName: "email"))
    var email: String?

    @OptionGroup var limits: LimitOptions

    /// The request fields these options set; absent options are left out, so an update keeps them.
    func body() throws -> JSONObject {
        var body: JSONObject = [:]
        if let alias { body["user_alias"] = alias }
        if let email { body["user_email"] = email }
        try limits.add(to: &body)
        return body
    }
}
