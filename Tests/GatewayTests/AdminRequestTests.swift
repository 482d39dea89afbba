import Dialects
import Foundation
import Postgres
import Testing
@testable import Gateway

/// The admin layer's one decode-and-validate step (``AdminJSON``): wrong types, out-of-range values and
/// malformed bodies are 400s naming the field; unknown fields are ignored, as LiteLLM ignores them; and the
/// typed answers keep LiteLLM's field names.
@Suite("Admin request bodies")
struct AdminRequestTests {
    static func refusal<T: AdminRequest>(_ type: T.Type, _ body: String) -> DialectError? {
        #expect(throws: GatewayError.self) { try AdminJSON.decode(T.self, from: Data(body.utf8)) }?.error
    }

    @Test(arguments: [
        (#"{"rpm_limit":"ten"}"#, "rpm_limit", "'rpm_limit' has the wrong type"),
        (#"{"blocked":"yes"}"#, "blocked", "'blocked' has the wrong type"),
        (#"{"key_alias":7}"#, "key_alias", "'key_alias' has the wrong type"),
        (#"{"models":"gpt-4o-mini"}"#, "models", "'models' has the wrong type"),
        (#"{"models":["a",7]}"#, "models[1]", "'models[1]' has the wrong type"),
        (#"{"metadata":[1,2]}"#, "metadata", "'metadata' has the wrong type"),
        (#"{"rpm_limit":-1}"#, "rpm_limit", "'rpm_limit' must be a non-negative integer no larger than 2147483647."),
        (#"{"max_budget":-3}"#, "max_budget", "'max_budget' must be a non-negative number of US dollars."),
        (#"{"budget_duration":"weekly"}"#, "budget_duration", "'budget_duration' must be a period such as 1h, 1d, 7d, 30d or 1mo."),
        (#"{"duration":"soon"}"#, "duration", "'duration' must be a duration such as 30s, 30m, 30h or 30d."),
        (#"{"expires":"tomorrow"}"#, "expires", "'expires' must be an ISO 8601 time."),
        (#"{"user_id":"a\u0000b"}"#, "user_id", "'user_id' must be text without NUL bytes, in valid UTF-8."),
    ])
    func badKeyFieldsAreABadRequestNamingTheField(body: String, param: String, message: String) {
        let error = Self.refusal(KeyRequest.self, body)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.param == param, "\(body)")
        #expect(error?.message.hasPrefix(message) == true, "\(body): \(error?.message ?? "no error")")
    }

    @Test(arguments: ["[]", "\"text\"", "7", "{", "{\"a\":1e400}", "\u{FF}"])
    func aBodyThatIsNotAJSONObjectIsRefused(body: String) {
        let error = Self.refusal(KeyRequest.self, body)
        #expect(error?.kind == .invalidRequest)
        #expect(error?.message == "The request body must be a JSON object.", "\(body)")
    }

    @Test func anEmptyBodyIsAnEmptyObject() throws {
        let request = try AdminJSON.decode(KeyRequest.self, from: Data())
        #expect(request.key == nil && request.limits.rpmLimit.isAbsent)
        #expect(request.columns(now: Date()).isEmpty)
    }

    /// LiteLLM accepts fields it does not model (its request models allow extras); so do these types, so a
    /// LiteLLM script sending `tags`, `guardrails` or `aliases` still works.
    @Test func unknownFieldsAreIgnored() throws {
        let key = try AdminJSON.decode(KeyRequest.self, from: Data(#"{"rpm_limit":5,"tags":["x"],"guardrails":{"a":1},"aliases":{}}"#.utf8))
        #expect(key.limits.rpmLimit == .value(5))
        #expect(key.columns(now: Date()).columns == "rpm_limit")
        let team = try AdminJSON.decode(NewTeamRequest.self, from: Data(#"{"team_alias":"a","organization_id":"o"}"#.utf8))
        #expect(team.teamAlias == "a")
    }

    @Test func absentNullAndValueAreThreeThings() throws {
        let key = try AdminJSON.decode(KeyRequest.self, from: Data(#"{"key":"sk-x","rpm_limit":null,"tpm_limit":9,"duration":"-1"}"#.utf8))
        #expect(key.limits.rpmLimit == .null)
        #expect(key.limits.tpmLimit == .value(9))
        #expect(key.limits.maxBudget.isAbsent)
        let columns = key.columns(now: Date())
        #expect(columns.columns == "rpm_limit, tpm_limit, expires_at", "null clears, absent leaves, -1 means no expiry")
        #expect(columns.values.first == .null && columns.values.last == .null)
    }

    @Test func requiredNamesAreChecked() {
        #expect(throws: GatewayError.self) { try AdminJSON.decode(KeyRequest.self, from: Data("{}".utf8)).requiredHash() }
        #expect(throws: GatewayError.self) { try AdminJSON.decode(UserRequest.self, from: Data(#"{"user_id":""}"#.utf8)).requiredID() }
        #expect(Self.refusal(DeleteKeysRequest.self, #"{"keys":[]}"#)?.message == "Name the keys to delete in 'keys' or 'key_aliases'.")
        #expect(Self.refusal(DeleteUsersRequest.self, "{}")?.param == "user_ids")
        #expect(Self.refusal(TeamReference.self, "{}")?.message == "Missing required parameter: 'team_id'.")
        #expect(Self.refusal(CustomerIDsRequest.self, #"{"user_ids":[]}"#)?.message == "Name the end users in 'user_ids'.")
        #expect(Self.refusal(TeamMemberAddRequest.self, #"{"team_id":"t","member":{"role":"owner","user_id":"a"}}"#)?.param == "member[0].role")
    }

    /// `models` is checked against the catalog by the services, each unknown model named by its place.
    @Test func unknownModelsAreNamedByTheirPlace() async throws {
        let key = try AdminJSON.decode(KeyRequest.self, from: Data(#"{"models":["llama3.2","no-such-model"]}"#.utf8))
        let error = await #expect(throws: GatewayError.self) { try await key.limits.checkModels { $0 == "llama3.2" } }
        #expect(error?.error.param == "models[1]")
        #expect(error?.error.message.contains("Unknown model 'no-such-model'") == true)
    }

    /// A user has no block and an end user no model list: those fields are ignored, never a column that
    /// does not exist (a 500).
    @Test func fieldsAnEntityDoesNotHaveAreIgnored() throws {
        let user = try AdminJSON.decode(UserRequest.self, from: Data(#"{"user_id":"u","blocked":true,"rpm_limit":1}"#.utf8))
        #expect(user.columns.columns == "rpm_limit")
        let customer = try AdminJSON.decode(CustomerRequest.self, from: Data(#"{"user_id":"c","models":["a"],"max_budget":1}"#.utf8))
        #expect(customer.limits.columns.columns == "max_budget_micros")
    }

    /// The typed answers write LiteLLM's names, every field (null when unset), and never the secret unless given.
    @Test func keyAnswersKeepLiteLLMsShape() throws {
        let row = try AdminRow.decode(KeyRow.self, from: #"""
            {"key_hash":"ab","display":"sk-…abcd","alias":null,"user_id":"u","team_id":null,"models":["m"],"rpm_limit":5,"tpm_limit":null,
             "max_parallel_requests":null,"max_budget_micros":2500000,"budget_duration":"30d","budget_reset_at":null,"spend_micros":1000000,
             "expires_at":null,"blocked":false,"metadata":{"x":1},"created_at":"2026-12-01T00:00:00+00:00","updated_at":"2026-12-01T00:00:00+00:00"}
            """#)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(KeyView(row: row))) as? [String: Any]
        let view = try #require(encoded)
        #expect(Set(view.keys) == [
            "token", "token_id", "key_name", "key_alias", "user_id", "team_id", "trust_end_user_headers", "expires", "blocked", "models",
            "rpm_limit", "tpm_limit", "max_parallel_requests", "max_budget", "budget_duration", "budget_reset_at", "spend", "metadata",
            "created_at", "updated_at",
        ])
        #expect(view["max_budget"] as? Double == 2.5 && view["spend"] as? Double == 1)
        #expect(view["key_alias"] is NSNull && view["key"] == nil)
        let withSecret = try JSONSerialization.jsonObject(with: JSONEncoder().encode(KeyView(row: row, secret: "sk-new"))) as? [String: Any]
        #expect(withSecret?["key"] as? String == "sk-new")
    }
}
