import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

extension GatewayHarness {
    /// Creates a key through the admin API and returns its response object (with `key`, the secret).
    func generateKey(_ json: String = "{}") async throws -> [String: Any] {
        let response = try await post("/key/generate", json: json)
        #expect(response.status == .ok, "key/generate failed: \(response.text)")
        return try #require(response.json)
    }

    /// The secret of a newly generated key.
    func newSecret(_ json: String = "{}") async throws -> String {
        try #require(try await generateKey(json)["key"] as? String)
    }

    /// A one-message chat with `key`.
    func chat(key: String, model: String = "llama3.2") async throws -> TestResponse {
        try await post("/v1/chat/completions", json: #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#, key: key)
    }
}
