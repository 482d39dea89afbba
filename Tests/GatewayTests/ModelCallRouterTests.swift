import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import Upstream
@testable import Gateway

/// The model-call runner and the dialects' routes, through the gateway's router in Hummingbird's router test
/// mode with in-memory dependencies: every ending gives the client its dialect's answer and leaves exactly
/// one usage record.
@Suite("Model calls through the router, with in-memory dependencies")
struct ModelCallRouterTests {
    private typealias Harness = InMemoryGateway

    private static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#

    @Test("an OpenAI chat call: Ollama gets the alias's model, the client OpenAI's answer, the record its tokens and cost")
    func wholeAnswer() async throws {
        let harness = Harness()
        try await harness.application().test(.router) { client in
            let response = try await Harness.post(client, "/v1/chat/completions", Self.chat)
            #expect(response.status == .ok)
            let body = String(buffer: response.body)
            #expect(body.contains(#""content":"Hello""#))
            #expect(body.contains(#""prompt_tokens":3"#))
        }
        #expect(harness.backend.sent.map(\.path) == ["/api/chat"])
        let sent = try JSONParser.parse(harness.backend.sent.first?.body ?? [])
        #expect(sent["model"]?.string == "llama3.2:latest")
        let record = try #require(harness.onlyRecord())
        #expect(record.outcome == .ok && record.httpStatus == 200)
        #expect(record.requestedModel == "gpt-4o-mini" && record.servedModel == "llama3.2:latest")
        #expect(record.promptTokens == 3 && record.completionTokens == 4)
        #expect(record.costMicros == 3 * 1 + 4 * 2)
        #expect(record.keyID == "key-1" && record.dialect == "openai" && record.endpoint == "/v1/chat/completions")
    }

    @Test("an Anthropic stream: Anthropic's events end with message_stop, and the record is written before the end")
    func anthropicStream() async throws {
        let harness = Harness()
        try await harness.application().test(.router) { client in
            let response = try await Harness.post(
                client, "/v1/messages", #"{"model":"gpt-4o-mini","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == AnthropicStreamEncoder.contentType)
            let body = String(buffer: response.body)
            #expect(body.contains("event: message_start"))
            #expect(body.contains(#""text":"Hel""#))
            #expect(body.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
        }
        let record = try #require(harness.onlyRecord())
        #expect(record.outcome == .ok && record.stream)
        #expect(record.completionTokens == 4)
        #expect(record.ttftMs != nil)
    }

    @Test("a key over its limit: 429 in the caller's dialect with Retry-After, Ollama never called, one refused record")
    func refusedByTheLimiter() async throws {
        var harness = Harness()
        harness.limiter.refuses = true
        try await harness.application().test(.router) { client in
            let response = try await Harness.post(client, "/v1/chat/completions", Self.chat)
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "2")
            #expect(String(buffer: response.body).contains(#""code":"rate_limit_exceeded""#))
        }
        #expect(harness.backend.sent.isEmpty)
        let record = try #require(harness.onlyRecord())
        #expect(record.outcome == .clientError && record.httpStatus == 429)
    }

    @Test("an unknown model and a body that is not JSON: 404 and 400 in the dialect, one record each, no call")
    func refusedBeforeTheCall() async throws {
        let harness = Harness()
        try await harness.application().test(.router) { client in
            let unknown = try await Harness.post(client, "/v1/chat/completions", #"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(unknown.status == .notFound)
            #expect(String(buffer: unknown.body).contains("model_not_found"))
            let garbage = try await Harness.post(client, "/v1/messages", "{not json")
            #expect(garbage.status == .badRequest)
            #expect(String(buffer: garbage.body).contains(#""type":"invalid_request_error""#))
        }
        #expect(harness.backend.sent.isEmpty)
        #expect(harness.usage.records.map(\.httpStatus) == [404, 400])
        #expect(harness.usage.records.allSatisfy { $0.outcome == .clientError })
    }

    @Test("Ollama refusing the call: a native client gets Ollama's status and words; an OpenAI client its own error; one record each")
    func ollamaRefuses() async throws {
        var harness = Harness()
        harness.backend = InMemoryBackend { _, _ in .inMemory(status: 500, contentType: "application/json", chunks: [Array(#"{"error":"model runner crashed"}"#.utf8)]) }
        try await harness.application().test(.router) { client in
            let native = try await Harness.post(client, "/api/chat", #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(native.status == .internalServerError)
            #expect(String(buffer: native.body).contains("model runner crashed"))
            let openAI = try await Harness.post(client, "/v1/chat/completions", Self.chat)
            #expect(openAI.status.code >= 500)
            #expect(String(buffer: openAI.body).contains(#""error":{"#))
        }
        #expect(harness.usage.records.count == 2)
        #expect(harness.usage.records.allSatisfy { $0.outcome == .upstreamError })
    }

    @Test("an answer that ends before Ollama's done line: 502, one failed record")
    func answerEndsEarly() async throws {
        var harness = Harness()
        harness.backend = InMemoryBackend { _, _ in
            .inMemory(status: 200, chunks: [Array(#"{"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}"#.utf8 + [0x0A])])
        }
        try await harness.application().test(.router) { client in
            let response = try await Harness.post(client, "/v1/chat/completions", Self.chat)
            #expect(response.status == .badGateway)
            #expect(String(buffer: response.body).contains("ended early"))
        }
        let record = try #require(harness.onlyRecord())
        #expect(record.outcome == .upstreamError)
    }

    @Test("a usage journal that is full: 503 usage_journal_full before any work, and no record (nothing was used)")
    func journalFull() async throws {
        let harness = Harness()
        harness.usage.fill(true)
        try await harness.application().test(.router) { client in
            let response = try await Harness.post(client, "/v1/chat/completions", Self.chat)
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("usage_journal_full"))
        }
        #expect(harness.backend.sent.isEmpty)
        #expect(harness.usage.records.isEmpty)
    }
}
