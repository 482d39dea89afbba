import Dialects
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Gateway

/// The gateway's router as ``GatewayApplication/buildRouter(_:)`` builds it, in Hummingbird's router test mode
/// over in-memory dependencies: who may call which model, and who the usage record names.
@Suite("The gateway's router: keys, with in-memory dependencies")
struct GatewayRouterTests {
    private typealias Gateway = InMemoryGateway

    private static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#
    private static let messages = #"{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#

    private static func json(_ response: TestResponse) throws -> JSON { try JSONParser.parse(Array(response.body.readableBytesView)) }

    @Test("a virtual key is let through, and its usage record names the key and its user")
    func virtualKey() async throws {
        let gateway = Gateway()
        try await gateway.application().test(.router) { client in
            let response = try await Gateway.post(client, "/v1/chat/completions", Self.chat)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).contains(#""content":"Hello""#))
        }
        #expect(gateway.backend.sent.count == 1)
        let record = try #require(gateway.onlyRecord())
        #expect(record.keyID == Gateway.key.id && record.userID == "user-7")
        #expect(record.outcome == .ok && record.httpStatus == 200)
    }

    @Test("an unknown key: 401 invalid_api_key in the caller's dialect, no call to Ollama and no usage record")
    func unknownKey() async throws {
        let gateway = Gateway()
        try await gateway.application().test(.router) { client in
            let openAI = try await Gateway.post(client, "/v1/chat/completions", Self.chat, key: "sk-test-nobody")
            #expect(openAI.status == .unauthorized)
            let error = try Self.json(openAI)["error"]
            #expect(error?["code"]?.string == "invalid_api_key" && error?["type"]?.string == "authentication_error")

            let anthropic = try await Gateway.post(client, "/v1/messages", Self.messages, key: "sk-test-nobody")
            #expect(anthropic.status == .unauthorized)
            let body = try Self.json(anthropic)
            #expect(body["type"]?.string == "error" && body["error"]?["type"]?.string == "authentication_error")
            #expect(body["error"]?["code"] == nil)

            let missing = try await Gateway.post(client, "/v1/chat/completions", Self.chat, key: nil)
            #expect(missing.status == .unauthorized)
            #expect(String(buffer: missing.body).contains(#""code":"missing_api_key""#))
        }
        #expect(gateway.backend.sent.isEmpty)
        #expect(gateway.usage.records.isEmpty)
    }

    @Test("a key whose models exclude the one asked for: 403 model_not_allowed, no call to Ollama, one refused record")
    func modelNotAllowed() async throws {
        var gateway = Gateway()
        var narrow = Gateway.key
        narrow.models = ["qwen3"]
        gateway.keys.keys["sk-test-narrow"] = narrow
        try await gateway.application().test(.router) { client in
            let response = try await Gateway.post(client, "/v1/chat/completions", Self.chat, key: "sk-test-narrow")
            #expect(response.status == .forbidden)
            let error = try Self.json(response)["error"]
            #expect(error?["code"]?.string == "model_not_allowed" && error?["param"]?.string == "model")
        }
        #expect(gateway.backend.sent.isEmpty)
        let record = try #require(gateway.onlyRecord())
        #expect(record.httpStatus == 403 && record.keyID == Gateway.key.id)
    }

    @Test("the master key is let through without a key's limits, on OpenAI's and Anthropic's routes")
    func masterKey() async throws {
        var gateway = Gateway()
        gateway.limiter.refuses = true
        try await gateway.application().test(.router) { client in
            let limited = try await Gateway.post(client, "/v1/chat/completions", Self.chat)
            #expect(limited.status == .tooManyRequests)
            let master = try await Gateway.post(client, "/v1/chat/completions", Self.chat, key: Gateway.masterKey)
            #expect(master.status == .ok)
            let anthropic = try await Gateway.post(client, "/v1/messages", Self.messages, key: Gateway.masterKey)
            #expect(anthropic.status == .ok)
            #expect(String(buffer: anthropic.body).contains(#""text":"Hello""#))
        }
        #expect(gateway.backend.sent.count == 2)
        #expect(gateway.usage.records.map(\.keyID) == [Gateway.key.id, Identity.master.keyID, Identity.master.keyID])
        #expect(gateway.usage.records.map(\.httpStatus) == [429, 200, 200])
    }
}
