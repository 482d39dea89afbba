import Dialects
import Foundation
import Testing
@testable import Gateway

@Suite("Payload redaction and capture")
struct PayloadRedactionTests {
    let redactor = PayloadRedactor(extraFields: ["SSN", "customer-email"])

    private func json(_ text: String) throws -> JSON {
        try JSONParser.parse(text)
    }

    @Test func secretFieldNames() {
        for name in ["api_key", "apiKey", "API-KEY", "x-api-key", "authorization", "Authorization", "password", "db_password", "secret",
            "client_secret", "token", "access_token", "refreshToken", "id_token", "cookie", "private_key", "ssn", "customer_email"]
        {
            #expect(redactor.isSecret(field: name), "\(name)")
        }
        for name in ["max_tokens", "max_completion_tokens", "num_tokens", "model", "messages", "content", "temperature", "tokenizer", "user"] {
            #expect(!redactor.isSecret(field: name), "\(name)")
        }
    }

    @Test("redact_fields can name a field chat payloads always carry, in any spelling")
    func configuredCommonField() {
        let strict = PayloadRedactor(extraFields: ["User", "meta-data"])
        #expect(strict.isSecret(field: "user"))
        #expect(strict.isSecret(field: "metadata"))
        #expect(!strict.isSecret(field: "model"))
        #expect(!redactor.isSecret(field: "user"))
    }

    @Test func redactsNestedFieldsAndKeyLikeStrings() throws {
        let body = try json(
            #"""
            {"model":"m","max_tokens":50,"api_key":"whatever","metadata":{"Authorization":"Bearer abc","ssn":"123-45-6789","n":[{"token":"t"}]},
             "messages":[{"role":"user","content":"my key is sk-abcdefghijklmnopqrstuvwxyz0123 ok"},
                         {"role":"user","content":"header: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig, done"}],
             "password":null}
            """#
        )
        let redacted = redactor.redact(body)
        #expect(redacted["model"]?.string == "m")
        #expect(redacted["max_tokens"]?.int == 50)
        #expect(redacted["api_key"]?.string == PayloadRedactor.marker)
        #expect(redacted["password"] == .null, "null stays null: nothing to hide")
        let metadata = try #require(redacted["metadata"])
        #expect(metadata["Authorization"]?.string == PayloadRedactor.marker)
        #expect(metadata["ssn"]?.string == PayloadRedactor.marker)
        #expect(metadata["n"]?.array?.first?["token"]?.string == PayloadRedactor.marker)
        let messages = try #require(redacted["messages"]?.array)
        #expect(messages[0]["content"]?.string == "my key is [REDACTED] ok")
        #expect(messages[1]["content"]?.string == "header: Bearer [REDACTED], done")
        #expect(!redacted.text.contains("sk-abcdefghij"))
        #expect(redacted.members?.map(\.key) == body.members?.map(\.key), "members keep their order")
    }

    @Test func keyLikeStringsNeedTwentyCharacters() {
        #expect(redactor.redact(text: "sk-short stays") == "sk-short stays")
        #expect(redactor.redact(text: "task-abcdefghijklmnopqrstuvwxyz is a word") == "task-abcdefghijklmnopqrstuvwxyz is a word")
        #expect(redactor.redact(text: "\"sk-test-master-0123456789abcdef\"") == "\"[REDACTED]\"")
        #expect(redactor.redact(text: "a sk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA and sk-BBBBBBBBBBBBBBBBBBBBBBBB.") == "a [REDACTED] and [REDACTED].")
        #expect(redactor.redact(text: "no secrets here") == "no secrets here")
    }

    @Test func capCutsOnACharacterBoundaryAndSaysSo() {
        #expect(PayloadRedactor.cap("short", maxBytes: 10) == ("short", false))
        let text = String(repeating: "é", count: 10)  // 20 bytes
        let (cut, truncated) = PayloadRedactor.cap(text, maxBytes: 5)
        #expect(truncated)
        #expect(cut.hasPrefix("éé"))
        #expect(!cut.hasPrefix("ééé"))
        #expect(cut.hasSuffix("…[truncated: 20 bytes in all]"))
        #expect(cut.utf8.prefix(4).elementsEqual("éé".utf8), "no split é")
    }

    static let request = Array(
        #"""
        {"model":"gpt-4o-mini","stream":true,"temperature":0.2,"max_tokens":64,"user":"u1",
         "messages":[{"role":"system","content":"be terse"},{"role":"user","content":"secret plan sk-abcdefghijklmnopqrstuvwxyz0123"}],
         "tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}],
         "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}},
         "api_key":"sk-abcdefghijklmnopqrstuvwxyz0123"}
        """#.utf8
    )

    @Test func metadataModeKeepsParametersNotText() throws {
        let policy = PayloadPolicy(mode: .metadata, maxBytes: 65536, redactFields: [])
        let (text, truncated) = try #require(policy.request(body: Self.request, userAgent: "OpenAI/Python 1.40.0"))
        #expect(!truncated)
        let object = try json(text)
        #expect(object["model"]?.string == "gpt-4o-mini")
        #expect(object["temperature"]?.double == 0.2)
        #expect(object["max_tokens"]?.int == 64)
        #expect(object["stream"]?.bool == true)
        #expect(object["user_agent"]?.string == "OpenAI/Python 1.40.0")
        #expect(object["body_bytes"]?.int == Self.request.count)
        #expect(object["api_key"]?.string == PayloadRedactor.marker)
        let messages = try #require(object["messages"])
        #expect(messages["count"]?.int == 2)
        #expect(messages["roles"]?.array?.compactMap(\.string) == ["system", "user"])
        #expect(object["tools"]?.array?.compactMap(\.string) == ["get_weather"])
        #expect(object["response_format"]?["type"]?.string == "json_schema")
        #expect(!text.contains("be terse"))
        #expect(!text.contains("secret plan"))
        #expect(!text.contains("sk-abc"))
    }

    @Test func fullModeKeepsTheBodyRedactedAndCapped() throws {
        let policy = PayloadPolicy(mode: .full, maxBytes: 65536, redactFields: [])
        let (text, truncated) = try #require(policy.request(body: Self.request, userAgent: nil))
        #expect(!truncated)
        #expect(text.contains("be terse"))
        #expect(text.contains("secret plan [REDACTED]"))
        #expect(!text.contains("sk-abc"))
        let small = PayloadPolicy(mode: .full, maxBytes: 1024, redactFields: [])
        let big = Array(("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + String(repeating: "x", count: 5000) + "\"}]}").utf8)
        let (cut, cutFlag) = try #require(small.request(body: big, userAgent: nil))
        #expect(cutFlag)
        #expect(cut.utf8.count < 1100)
        #expect(PayloadPolicy.off.request(body: big, userAgent: nil) == nil)
        // Not JSON: stored as text, still redacted.
        let (raw, _) = try #require(policy.request(body: Array("not json sk-abcdefghijklmnopqrstuvwxyz0123".utf8), userAgent: nil))
        #expect(raw == "not json [REDACTED]")
        // A bare JSON scalar is not a payload object: stored as text too.
        let (scalar, _) = try #require(policy.request(body: Array("\"sk-abcdefghijklmnopqrstuvwxyz0123\"".utf8), userAgent: nil))
        #expect(scalar == "\"[REDACTED]\"")
    }

    @Test func captureCollectsTheAnswer() throws {
        let completion = Completion(finishReason: .stop, usage: Usage(promptTokens: 1, completionTokens: 2))
        let call = ToolCall(id: "c1", name: "lookup", arguments: .object([JSONMember("password", .string("hunter2")), JSONMember("q", .number("3"))]))
        var full = PayloadCapture(policy: PayloadPolicy(mode: .full, maxBytes: 65536, redactFields: []))
        var metadata = PayloadCapture(policy: PayloadPolicy(mode: .metadata, maxBytes: 65536, redactFields: []))
        for event: ChatEvent in [.thinking("hmm "), .text("Hello "), .text("sk-abcdefghijklmnopqrstuvwxyz0123"), .toolCall(call), .finished(completion)] {
            full.add(event)
            metadata.add(event)
        }
        let fullPayload = try #require(full.payload())
        #expect(fullPayload.mode == .full)
        let responseText = try #require(fullPayload.response)
        let answer = try json(responseText)
        #expect(answer["content"]?.string == "Hello [REDACTED]")
        #expect(answer["reasoning"]?.string == "hmm ")
        #expect(answer["finish_reason"]?.string == "stop")
        let calls = try #require(answer["tool_calls"]?.array)
        #expect(calls.first?["name"]?.string == "lookup")
        #expect(calls.first?["arguments"]?["password"]?.string == PayloadRedactor.marker)
        #expect(calls.first?["arguments"]?["q"] == .number("3"), "arguments as the model wrote them")
        #expect(fullPayload.request == nil, "no request captured")

        let metadataPayload = try #require(metadata.payload())
        let summaryText = try #require(metadataPayload.response)
        let summary = try json(summaryText)
        #expect(summary["content_chars"]?.int == 6 + 33)
        #expect(summary["reasoning_chars"]?.int == 4)
        #expect(summary["tool_calls"]?.array?.compactMap(\.string) == ["lookup"])
        #expect(summary["content"] == nil)
        #expect(PayloadCapture(policy: .off).payload() == nil)
    }

    @Test func captureStopsKeepingTextPastTheCap() throws {
        var capture = PayloadCapture(policy: PayloadPolicy(mode: .full, maxBytes: 1024, redactFields: []))
        for _ in 0..<1000 { capture.add(.text("0123456789")) }
        let payload = try #require(capture.payload())
        #expect(payload.truncated)
        #expect(try #require(payload.response).utf8.count < 1100)
    }
}
