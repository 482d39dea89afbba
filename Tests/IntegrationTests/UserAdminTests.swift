import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@Suite("User admin API")
struct UserAdminTests {
    @Test("new creates a user and a first key; info lists its keys; list paginates")
    func createAndRead() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.post(
                "/user/new", json: #"{"user_id":"erin","user_email":"erin@example.com","max_budget":20,"budget_duration":"1mo","rpm_limit":30}"#
            )
            #expect(created.status == .ok)
            #expect(created.json?["user_id"] as? String == "erin")
            #expect(created.json?["max_budget"] as? Double == 20)
            let secret = try #require(created.json?["key"] as? String)
            #expect((try await gateway.chat(key: secret)).status == .ok)

            let noKey = try await gateway.post("/user/new", json: #"{"user_id":"fay","auto_create_key":false}"#)
            #expect(noKey.json?["key"] == nil)
            let generatedID = try await gateway.post("/user/new", json: #"{"auto_create_key":false}"#)
            #expect((generatedID.json?["user_id"] as? String)?.isEmpty == false)

            let info = try await gateway.get("/user/info?user_id=erin")
            #expect((info.json?["user_info"] as? [String: Any])?["user_email"] as? String == "erin@example.com")
            #expect((info.json?["keys"] as? [[String: Any]])?.count == 1)
            #expect(!info.text.contains(secret))
            #expect((try await gateway.get("/user/info?user_id=nobody")).status == .notFound)

            let list = try await gateway.get("/user/list?page=1&page_size=2")
            #expect(list.json?["total"] as? Int == 3)
            #expect((list.json?["users"] as? [Any])?.count == 2)
            #expect(list.json?["total_pages"] as? Int == 2)

            #expect((try await gateway.post("/user/new", json: #"{"user_id":"erin"}"#)).status == .conflict)
            #expect((try await gateway.post("/user/new", json: #"{"tpm_limit":-5}"#)).status == .badRequest)
        }
    }

    @Test("update is partial; delete removes the user and revokes its keys")
    func updateAndDelete() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.post("/user/new", json: #"{"user_id":"gus","rpm_limit":5}"#)
            let secret = try #require(created.json?["key"] as? String)
            let updated = try await gateway.post("/user/update", json: #"{"user_id":"gus","max_budget":3}"#)
            #expect(updated.json?["max_budget"] as? Double == 3)
            #expect(updated.json?["rpm_limit"] as? Int == 5)
            #expect((try await gateway.post("/user/update", json: #"{"user_id":"nobody","rpm_limit":1}"#)).status == .notFound)

            let deleted = try await gateway.post("/user/delete", json: #"{"user_ids":["gus"]}"#)
            #expect(deleted.json?["deleted_users"] as? [String] == ["gus"])
            #expect(deleted.json?["deleted_keys"] as? Int == 1)
            #expect((try await gateway.chat(key: secret)).status == .unauthorized)
            let actions = ((try await gateway.get("/audit/log")).json?["logs"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
            #expect(actions?.first == "user.delete")
            #expect(actions?.contains("user.new") == true)
        }
    }

    @Test("Moving a key to a new user_id with /key/update creates that user, as /key/generate does")
    func updateCreatesUser() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret()
            let moved = try await gateway.post("/key/update", json: #"{"key":"\#(secret)","user_id":"hana"}"#)
            #expect(moved.status == .ok)
            let info = try await gateway.get("/user/info?user_id=hana")
            #expect(info.status == .ok)
            #expect((info.json?["keys"] as? [[String: Any]])?.count == 1)
        }
    }
}
