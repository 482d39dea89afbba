import FakeOllama
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Every refusal is an OpenAI-shaped error with the right status, and every request past
/// authentication is logged once.
@Suite("Error responses")
struct ErrorResponseTests {
    static let hi = #"{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}"#

    /// Checks the OpenAI error shape and returns its `error` object.
    @discardableResult
    static func expectOpenAIError(_ response: TestResponse, _ status: HTTPResponse.Status, type: String) throws -> [String: Any] {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/json")
        let error = try #require(response.openAIError, "not an OpenAI error body: \(response.text)")
        #expect(error["type"] as? String == type)
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(error.keys.contains("param") && error.keys.contains("code"))
        #expect(response.requestID != nil)
        return error
    }

    @Test("401 for a missing or wrong key, and no log row")
    func unauthorized() async throws {
        try await GatewayHarness.run { gateway in
            let missing = try await gateway.post("/v1/chat/completions", json: Self.hi, key: "")
            try Self.expectOpenAIError(missing, .unauthorized, type: "authentication_error")
            let wrong = try await gateway.post("/v1/chat/completions", json: Self.hi, key: "sk-wrong")
            let error = try Self.expectOpenAIError(wrong, .unauthorized, type: "authentication_error")
            #expect(error["code"] as? String == "invalid_api_key")
            let models = try await gateway.get("/v1/models", key: "sk-wrong")
            #expect(models.status == .unauthorized)
            // A later successful request is flushed; the rejected ones never were.
            let ok = try await gateway.post("/v1/chat/completions", json: Self.hi)
            _ = try await gateway.logRow(ok.requestID)
            #expect(try await gateway.requestLog(count: 1).count == 1)
        }
    }

    @Test(
        "400 for a malformed body, with the field at fault",
        arguments: [
            (#"{not json"#, nil),
            (#"{"messages":[{"role":"user","content":"hi"}]}"#, "model"),
            (#"{"model":"llama3.2","messages":[]}"#, "messages"),
            (#"{"model":"llama3.2","messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
            (#"{"model":"llama3.2","stream":"yes","messages":[{"role":"user","content":"hi"}]}"#, "stream"),
            (#"{"model":"llama3.2","n":3,"messages":[{"role":"user","content":"hi"}]}"#, "n"),
            (#"[1,2,3]"#, nil),
        ] as [(String, String?)]
    )
    func badRequest(body: String, param: String?) async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: body)
            let error = try Self.expectOpenAIError(response, .badRequest, type: "invalid_request_error")
            #expect(error["param"] as? String == param)
            #expect(response.headers[HTTPField.Name("x-should-retry")!] == "false")
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("status") == "client_error")
            #expect(row.column("http_status") == "400")
            #expect(gateway.fake.recordedRequests(path: "/api/chat").isEmpty)
        }
    }

    @Test("404 for a model neither aliased nor in Ollama, and for an alias Ollama lacks")
    func unknownModel() async throws {
        try await GatewayHarness.run { gateway in
            let unknown = try await gateway.post("/v1/chat/completions", json: #"{"model":"gpt-17","messages":[{"role":"user","content":"hi"}]}"#)
            let error = try Self.expectOpenAIError(unknown, .notFound, type: "invalid_request_error")
            #expect(error["code"] as? String == "model_not_found")
            #expect((error["message"] as? String)?.contains("gpt-17") == true)
            #expect(try await gateway.logRow(unknown.requestID).column("requested_model") == "gpt-17")

            let lacking = try await gateway.post("/v1/chat/completions", json: #"{"model":"missing-alias","messages":[{"role":"user","content":"hi"}]}"#)
            try Self.expectOpenAIError(lacking, .notFound, type: "invalid_request_error")
            #expect(try await gateway.logRow(lacking.requestID).column("http_status") == "404")
        }
    }

    @Test("413 for a body over the configured limit")
    func tooLarge() async throws {
        try await GatewayHarness.run(configure: { $0.server.maxBodyBytes = 4096 }) { gateway in
            let padding = String(repeating: "x", count: 8192)
            let response = try await gateway.post(
                "/v1/chat/completions", json: #"{"model":"llama3.2","messages":[{"role":"user","content":"\#(padding)"}]}"#
            )
            try Self.expectOpenAIError(response, .contentTooLarge, type: "invalid_request_error")
            #expect(try await gateway.logRow(response.requestID).column("http_status") == "413")
        }
    }

    @Test("503 with Retry-After when nothing listens at the Ollama address (its only backend is down)")
    func ollamaUnreachable() async throws {
        try await GatewayHarness.run(configure: { $0.ollama.baseURL = "http://127.0.0.1:9" }) { gateway in
            for stream in [false, true] {
                let response = try await gateway.post(
                    "/v1/chat/completions", json: #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
                )
                try Self.expectOpenAIError(response, .serviceUnavailable, type: "api_error")
                #expect(response.openAIError?["code"] as? String == "backend_unavailable")
                #expect(response.headers[.retryAfter] != nil)
                let row = try await gateway.logRow(response.requestID)
                #expect(row.column("status") == "upstream_error")
                #expect(row.column("http_status") == "503")
            }
        }
    }

    @Test("504 when Ollama does not answer within the first-byte timeout")
    func ollamaTimeout() async throws {
        try await GatewayHarness.run(
            behavior: .init(firstByteDelay: .seconds(60)),
            configure: { $0.ollama.firstByteTimeoutSeconds = 1 }
        ) { gateway in
            let started = ContinuousClock.now
            let response = try await gateway.post("/v1/chat/completions", json: Self.hi)
            try Self.expectOpenAIError(response, .gatewayTimeout, type: "api_error")
            // The deadline is connect (2 s) + first byte (1 s); the bound is loose so a loaded machine
            // passes, yet far below the 60 s the fake would take to answer.
            #expect(started.duration(to: .now) < .seconds(20))
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("status") == "timeout")
            #expect(row.column("http_status") == "504")
        }
    }

    @Test("Ollama's own errors map to the caller's statuses", arguments: [(503, 503), (500, 502), (400, 400)])
    func upstreamStatus(ollamaStatus: Int, expected: Int) async throws {
        try await GatewayHarness.run(behavior: .init(failure: .status(ollamaStatus, "boom"))) { gateway in
            let response = try await gateway.post("/v1/chat/completions", json: Self.hi)
            #expect(response.status.code == expected)
            #expect(response.openAIError != nil)
            #expect(try await gateway.logRow(response.requestID).column("http_status") == String(expected))
        }
    }

    @Test("Unknown paths answer an OpenAI-shaped 404 with a request id")
    func unknownPath() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.get("/v1/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.openAIError != nil)
            #expect(response.requestID != nil)
        }
    }
}
