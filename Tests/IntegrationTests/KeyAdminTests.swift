import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

/// The key-management API, against real PostgreSQL and Redis.
@Suite("Key admin API")
struct KeyAdminTests {
    @Test("generate returns the secret once, with LiteLLM's fields; info and list never show it")
    func generate() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.generateKey(
                #"{"key_alias":"bob-laptop","models":["gpt-4o-mini"],"max_budget":2.5,"budget_duration":"30d","rpm_limit":10,"tpm_limit":1000,"max_parallel_requests":2,"duration":"30d","metadata":{"team":"ml"},"user_id":"bob"}"#
            )
            let secret = try #require(created["key"] as? String)
            #expect(secret.hasPrefix("sk-") && secret.count >= 35)
            let hash = try #require(created["token"] as? String)
            #expect(hash.count == 64)
            #expect(created["key_name"] as? String == "sk-…" + secret.suffix(4))
            #expect(created["key_alias"] as? String == "bob-laptop")
            #expect(created["models"] as? [String] == ["gpt-4o-mini"])
            #expect(created["max_budget"] as? Double == 2.5)
            #expect(created["rpm_limit"] as? Int == 10)
            #expect(created["tpm_limit"] as? Int == 1000)
            #expect(created["max_parallel_requests"] as? Int == 2)
            #expect(created["user_id"] as? String == "bob")
            #expect((created["metadata"] as? [String: String]) == ["team": "ml"])
            let expires = try #require((created["expires"] as? String).flatMap(isoDate))
            #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)

            for reference in [secret, hash] {
                let info = try await gateway.get("/key/info?key=\(reference)")
                #expect(info.status == .ok)
                #expect(info.json?["key"] as? String == hash)
                #expect((info.json?["info"] as? [String: Any])?["key_alias"] as? String == "bob-laptop")
                #expect(!info.text.contains(secret))
            }
            let list = try await gateway.get("/key/list?return_full_object=true")
            #expect(list.json?["total_count"] as? Int == 1)
            #expect(!list.text.contains(secret))
            let owner = try await gateway.get("/user/info?user_id=bob")
            #expect(owner.status == .ok, "generate with a new user_id creates the user")
        }
    }

    @Test("list paginates and filters by user_id and key_alias")
    func list() async throws {
        try await GatewayHarness.run { gateway in
            for index in 0..<5 { _ = try await gateway.generateKey(#"{"key_alias":"k\#(index)","user_id":"\#(index < 3 ? "ann" : "ben")"}"#) }
            let page = try await gateway.get("/key/list?page=2&size=2")
            #expect(page.json?["total_count"] as? Int == 5)
            #expect(page.json?["total_pages"] as? Int == 3)
            #expect(page.json?["current_page"] as? Int == 2)
            #expect((page.json?["keys"] as? [String])?.count == 2)
            #expect((try await gateway.get("/key/list?user_id=ann")).json?["total_count"] as? Int == 3)
            let alias = try await gateway.get("/key/list?key_alias=k4&return_full_object=true")
            #expect(((alias.json?["keys"] as? [[String: Any]])?.first?["key_alias"]) as? String == "k4")
            #expect((try await gateway.get("/key/list?size=1000")).status == .badRequest)
        }
    }

    @Test("update changes only the fields sent; null clears")
    func update() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret(#"{"key_alias":"a","rpm_limit":5,"tpm_limit":50}"#)
            let updated = try await gateway.post("/key/update", json: #"{"key":"\#(secret)","rpm_limit":7,"tpm_limit":null,"metadata":{"x":1}}"#)
            #expect(updated.status == .ok)
            #expect(updated.json?["rpm_limit"] as? Int == 7)
            #expect(updated.json?["tpm_limit"] is NSNull)
            #expect(updated.json?["key_alias"] as? String == "a")
            #expect((updated.json?["metadata"] as? [String: Int]) == ["x": 1])
            #expect(!updated.text.contains(secret))
            let missing = try await gateway.post("/key/update", json: #"{"key":"sk-doesnotexist","rpm_limit":1}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test(
        "Invalid input is a 400 naming the field",
        arguments: [
            (#"{"rpm_limit":-1}"#, "rpm_limit"),
            (#"{"rpm_limit":"ten"}"#, "rpm_limit"),
            (#"{"tpm_limit":1.5}"#, "tpm_limit"),
            (#"{"max_budget":-3}"#, "max_budget"),
            (#"{"models":"gpt-4o-mini"}"#, "models"),
            (#"{"models":["gpt-4o-mini","no-such-model"]}"#, "models[1]"),
            (#"{"duration":"soon"}"#, "duration"),
            (#"{"budget_duration":"weekly"}"#, "budget_duration"),
            (#"{"metadata":[1,2]}"#, "metadata"),
            (#"{"blocked":"yes"}"#, "blocked"),
            (#"{"key_alias":7}"#, "key_alias"),
        ]
    )
    func validation(body: String, param: String) async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/key/generate", json: body)
            #expect(response.status == .badRequest)
            #expect(response.openAIError?["param"] as? String == param)
            #expect((try await gateway.get("/key/list")).json?["total_count"] as? Int == 0)
        }
    }

    @Test("A duplicate alias is a 409, enforced by the database")
    func duplicateAlias() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await gateway.generateKey(#"{"key_alias":"shared"}"#)
            let second = try await gateway.post("/key/generate", json: #"{"key_alias":"shared"}"#)
            #expect(second.status == .conflict)
            #expect(second.openAIError?["code"] as? String == "duplicate_key_alias")
            let other = try await gateway.newSecret(#"{"key_alias":"other"}"#)
            let rename = try await gateway.post("/key/update", json: #"{"key":"\#(other)","key_alias":"shared"}"#)
            #expect(rename.status == .conflict)
            let index = try await gateway.database.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'api_keys' AND indexdef LIKE '%UNIQUE%(alias)%'")
            #expect(index.count == 1)
        }
    }

    @Test("delete by secret, by hash and by alias")
    func delete() async throws {
        try await GatewayHarness.run { gateway in
            let first = try await gateway.newSecret()
            let second = try await gateway.generateKey()
            _ = try await gateway.generateKey(#"{"key_alias":"third"}"#)
            let hash = try #require(second["token"] as? String)
            let response = try await gateway.post("/key/delete", json: #"{"keys":["\#(first)","\#(hash)"]}"#)
            #expect(response.json?["deleted_keys"] as? [String] == [first, hash])
            let byAlias = try await gateway.post("/key/delete", json: #"{"key_aliases":["third"]}"#)
            #expect(byAlias.json?["deleted_keys"] as? [String] == ["third"])
            #expect((try await gateway.get("/key/list")).json?["total_count"] as? Int == 0)
            #expect((try await gateway.chat(key: first)).status == .unauthorized)
            #expect((try await gateway.post("/key/delete", json: #"{"keys":["\#(first)"]}"#)).status == .notFound)
        }
    }

    @Test("regenerate: the new secret works at once, the old one stops at once")
    func regenerate() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.generateKey(#"{"key_alias":"rot"}"#)
            let old = try #require(created["key"] as? String)
            #expect((try await gateway.chat(key: old)).status == .ok)
            let rotated = try await gateway.post("/key/regenerate", json: #"{"key":"\#(old)"}"#)
            let new = try #require(rotated.json?["key"] as? String)
            #expect(new != old)
            #expect(rotated.json?["key_alias"] as? String == "rot")
            #expect((try await gateway.chat(key: old)).status == .unauthorized)
            #expect((try await gateway.chat(key: new)).status == .ok)
            let byPath = try await gateway.post("/key/\(new)/regenerate", json: "{}")
            #expect(byPath.status == .ok)
            #expect((try await gateway.chat(key: new)).status == .unauthorized)
        }
    }

    @Test("block and unblock take effect on the next request")
    func blockUnblock() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret()
            #expect((try await gateway.chat(key: secret)).status == .ok)
            let blocked = try await gateway.post("/key/block", json: #"{"key":"\#(secret)"}"#)
            #expect(blocked.json?["blocked"] as? Bool == true)
            let refused = try await gateway.chat(key: secret)
            #expect(refused.status == .unauthorized)
            #expect(refused.openAIError?["code"] as? String == "key_blocked")
            #expect((refused.openAIError?["message"] as? String)?.contains("blocked") == true)
            _ = try await gateway.post("/key/unblock", json: #"{"key":"\#(secret)"}"#)
            #expect((try await gateway.chat(key: secret)).status == .ok)
        }
    }

    @Test("The admin API needs the master key")
    func adminOnly() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret()
            let withVirtualKey = try await gateway.post("/key/generate", json: "{}", key: secret)
            #expect(withVirtualKey.status == .forbidden)
            #expect((try await gateway.post("/key/generate", json: "{}", key: "")).status == .unauthorized)
            #expect((try await gateway.get("/key/list", key: "sk-nope")).status == .unauthorized)
            #expect((try await gateway.get("/audit/log", key: secret)).status == .forbidden)
        }
    }

    @Test("Every change is in the audit log, without secrets")
    func audit() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret(#"{"key_alias":"aud"}"#)
            _ = try await gateway.post("/key/update", json: #"{"key":"\#(secret)","rpm_limit":3}"#)
            _ = try await gateway.post("/key/block", json: #"{"key":"\#(secret)"}"#)
            _ = try await gateway.post("/key/delete", json: #"{"keys":["\#(secret)"]}"#)
            let log = try await gateway.get("/audit/log?size=10")
            let entries = try #require(log.json?["logs"] as? [[String: Any]])
            #expect(entries.compactMap { $0["action"] as? String } == ["key.delete", "key.block", "key.update", "key.generate"])
            #expect(entries.allSatisfy { $0["actor"] as? String == "master" })
            let update = entries[2]
            #expect((update["before_value"] as? [String: Any])?["rpm_limit"] is NSNull)
            #expect((update["after_value"] as? [String: Any])?["rpm_limit"] as? Int == 3)
            #expect(!log.text.contains(secret))
        }
    }
}

private func isoDate(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
}
