import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

/// Virtual keys on the model routes: accepted headers, and each way a key is refused.
@Suite("Virtual keys on model routes")
struct KeyAuthTests {
    @Test("A key works as Bearer and as x-api-key, and its usage row names the key")
    func accepted() async throws {
        try await GatewayHarness.run { gateway in
            let created = try await gateway.generateKey(#"{"user_id":"carol"}"#)
            let secret = try #require(created["key"] as? String)
            let bearer = try await gateway.chat(key: secret)
            #expect(bearer.status == .ok)
            let apiKey = try await gateway.client.execute(
                uri: "/v1/chat/completions", method: .post,
                headers: [HTTPField.Name("x-api-key")!: secret, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#)
            )
            #expect(apiKey.status == .ok)
            let row = try await gateway.logRow(bearer.requestID)
            let keyID = try #require(try await gateway.database.query("SELECT id::text AS id FROM api_keys").value(0, "id"))
            #expect(row.column("key_id") == keyID)
            #expect(row.column("user_id") == "carol")
        }
    }

    @Test("Unknown, expired and blocked keys get a 401 that says which")
    func refused() async throws {
        try await GatewayHarness.run { gateway in
            let unknown = try await gateway.chat(key: "sk-" + String(repeating: "a", count: 43))
            #expect(unknown.status == .unauthorized)
            #expect(unknown.openAIError?["code"] as? String == "invalid_api_key")

            let expired = try await gateway.newSecret(#"{"expires":"2020-01-01T00:00:00Z"}"#)
            let expiredResponse = try await gateway.chat(key: expired)
            #expect(expiredResponse.status == .unauthorized)
            #expect(expiredResponse.openAIError?["code"] as? String == "key_expired")
            #expect((expiredResponse.openAIError?["message"] as? String)?.contains("expired") == true)

            let blocked = try await gateway.newSecret(#"{"blocked":true}"#)
            let blockedResponse = try await gateway.chat(key: blocked)
            #expect(blockedResponse.status == .unauthorized)
            #expect(blockedResponse.openAIError?["code"] as? String == "key_blocked")
            // Refused credentials are not usage.
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await gateway.database.query("SELECT 1 FROM request_log").count == 0)
        }
    }

    @Test("A model outside the key's list is a 403 naming the model, and is logged")
    func modelNotAllowed() async throws {
        try await GatewayHarness.run { gateway in
            let secret = try await gateway.newSecret(#"{"models":["gpt-4o-mini"]}"#)
            #expect((try await gateway.chat(key: secret, model: "gpt-4o-mini")).status == .ok)
            let refused = try await gateway.chat(key: secret, model: "llama3.2")
            #expect(refused.status == .forbidden)
            #expect(refused.openAIError?["type"] as? String == "permission_error")
            #expect((refused.openAIError?["message"] as? String)?.contains("llama3.2") == true)
            let row = try await gateway.logRow(refused.requestID)
            #expect(row.column("http_status") == "403")
            #expect(gateway.fake.recordedRequests(path: "/api/chat").count == 1)
        }
    }

    @Test("A user's model list restricts all the user's keys")
    func userModels() async throws {
        try await GatewayHarness.run { gateway in
            let user = try await gateway.post("/user/new", json: #"{"user_id":"dan","models":["gpt-4o-mini"]}"#)
            let secret = try #require(user.json?["key"] as? String)
            #expect((try await gateway.chat(key: secret, model: "llama3.2")).status == .forbidden)
            #expect((try await gateway.chat(key: secret, model: "gpt-4o-mini")).status == .ok)
            _ = try await gateway.post("/user/update", json: #"{"user_id":"dan","models":[]}"#)
            #expect((try await gateway.chat(key: secret, model: "llama3.2")).status == .ok)
        }
    }
}
