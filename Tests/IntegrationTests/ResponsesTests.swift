import FakeOllama
import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

/// `POST /v1/responses` and the stored-state endpoints against a gateway in front of the fake Ollama.
@Suite("Responses API")
struct ResponsesTests {
    /// The fake's five-word answer.
    static let fakeText = "word word word word word "

    /// The `data:` objects of a streamed answer's `event:`/`data:` frames, in order.
    static func events(_ response: TestResponse) -> [[String: Any]] {
        response.text.components(separatedBy: "\n\n").compactMap { frame in
            guard let data = frame.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8))) as? [String: Any]
        }
    }

    @Test("a whole answer: a response object with output_text, usage, and a usage row with dialect responses")
    func whole() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret()
            let response = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Say something.","store":false}"#, key: key)
            #expect(response.status == .ok, "\(response.text)")
            let object = try #require(response.json)
            #expect(object["object"] as? String == "response" && object["status"] as? String == "completed")
            #expect((object["id"] as? String)?.hasPrefix("resp_") == true)
            let output = try #require(object["output"] as? [[String: Any]])
            let text = (output.first?["content"] as? [[String: Any]])?.first?["text"] as? String
            #expect(text == Self.fakeText)
            let usage = try #require(object["usage"] as? [String: Any])
            #expect((usage["input_tokens"] as? Int ?? 0) > 0 && usage["output_tokens"] as? Int == 5)
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("dialect") == "responses" && row.column("endpoint") == "/v1/responses")
            #expect(row.column("status") == "ok" && row.column("completion_tokens") == "5")
            // Options reached Ollama in its own terms.
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            #expect((sent["messages"] as? [[String: Any]])?.last?["content"] as? String == "Say something.")
            #expect(sent["stream"] as? Bool == false)
        }
    }

    @Test("a streamed answer: the event grammar ends in response.completed and the usage row is stream=true")
    func streamed() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","input":"Hi","stream":true,"max_output_tokens":100,"temperature":0.3}"#
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = Self.events(response)
            let types = events.map { $0["type"] as? String ?? "" }
            #expect(types.first == "response.created" && types.last == "response.completed")
            #expect(types.filter { $0 == "response.output_text.delta" }.count == 5)
            #expect(events.map { $0["sequence_number"] as? Int ?? -1 } == Array(0..<events.count))
            #expect(!response.text.contains("[DONE]"))
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("stream") == "t" && row.column("dialect") == "responses")
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let options = try #require(sent["options"] as? [String: Any])
            #expect(options["num_predict"] as? Int == 100 && options["temperature"] as? Double == 0.3)
        }
    }

    @Test("the token limit: status incomplete with reason max_output_tokens, whole and streamed")
    func incomplete() async throws {
        try await GatewayHarness.run { gateway in
            let whole = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi","max_output_tokens":2,"store":false}"#)
            #expect(whole.json?["status"] as? String == "incomplete")
            #expect((whole.json?["incomplete_details"] as? [String: Any])?["reason"] as? String == "max_output_tokens")
            let streamed = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi","max_output_tokens":2,"stream":true}"#)
            #expect(Self.events(streamed).last?["type"] as? String == "response.incomplete")
        }
    }

    @Test("a mid-stream failure is response.failed, never response.completed, and the row says upstream_error")
    func midStreamFailure() async throws {
        try await GatewayHarness.run(behavior: .init(failure: .errorLineAfter(chunks: 2, message: "model runner crashed"))) { gateway in
            let response = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi","stream":true}"#)
            let events = Self.events(response)
            #expect(events.last?["type"] as? String == "response.failed")
            #expect(!events.contains { $0["type"] as? String == "response.completed" })
            let failed = try #require(events.last?["response"] as? [String: Any])
            #expect((failed["error"] as? [String: Any])?["code"] as? String == "server_error")
            let row = try await gateway.logRow(response.requestID)
            #expect(row.column("status") == "upstream_error")
            // A failed response is not stored.
            let id = try #require(failed["id"] as? String)
            #expect(try await gateway.get("/v1/responses/\(id)").status == .notFound)
        }
    }

    @Test("stored: GET returns it, previous_response_id continues it, input_items pages it, DELETE removes it")
    func storedState() async throws {
        try await GatewayHarness.run { gateway in
            let key = try await gateway.newSecret()
            let first = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","instructions":"Be terse.","input":"My name is Ada.","stream":true}"#, key: key
            )
            let firstID = try #require((Self.events(first).last?["response"] as? [String: Any])?["id"] as? String)
            // Stored before the last event went out: the follow-up right away finds it.
            let second = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","previous_response_id":"\#(firstID)","input":"What is my name?"}"#, key: key
            )
            #expect(second.status == .ok, "\(second.text)")
            #expect(second.json?["previous_response_id"] as? String == firstID)
            let sent = try #require(gateway.fake.recordedRequests(path: "/api/chat").last?.jsonObject)
            let messages = try #require(sent["messages"] as? [[String: Any]])
            // Instructions are not inherited; the earlier input and output come before the new input.
            #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "user"])
            #expect(messages.map { $0["content"] as? String ?? "" } == ["My name is Ada.", Self.fakeText, "What is my name?"])

            let secondID = try #require(second.json?["id"] as? String)
            let fetched = try await gateway.get("/v1/responses/\(secondID)", key: key)
            #expect(fetched.status == .ok && fetched.json?["id"] as? String == secondID)
            #expect(fetched.json?["output"] as? [Any] != nil)

            // The effective input: first input, first output, second input; newest first by default.
            let items = try await gateway.get("/v1/responses/\(secondID)/input_items", key: key)
            let page = try #require(items.json)
            #expect(page["object"] as? String == "list" && page["has_more"] as? Bool == false)
            let data = try #require(page["data"] as? [[String: Any]])
            #expect(data.map { $0["role"] as? String ?? "" } == ["user", "assistant", "user"])
            #expect(data.allSatisfy { ($0["id"] as? String)?.isEmpty == false })
            let ascending = try await gateway.get("/v1/responses/\(secondID)/input_items?order=asc&limit=1", key: key)
            #expect(ascending.json?["has_more"] as? Bool == true)
            let firstItem = try #require((ascending.json?["data"] as? [[String: Any]])?.first)
            #expect(((firstItem["content"] as? [[String: Any]])?.first?["text"] as? String) == "My name is Ada.")
            let afterID = try #require(firstItem["id"] as? String)
            let next = try await gateway.get("/v1/responses/\(secondID)/input_items?order=asc&limit=5&after=\(afterID)", key: key)
            #expect((next.json?["data"] as? [Any])?.count == 2 && next.json?["has_more"] as? Bool == false)
            #expect(try await gateway.get("/v1/responses/\(secondID)/input_items?limit=0", key: key).status == .badRequest)

            // Another key sees none of it.
            let other = try await gateway.newSecret()
            #expect(try await gateway.get("/v1/responses/\(secondID)", key: other).status == .notFound)
            let stolen = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","previous_response_id":"\#(firstID)","input":"x"}"#, key: other
            )
            #expect(stolen.status == .badRequest && stolen.openAIError?["code"] as? String == "previous_response_not_found")
            #expect(try await gateway.delete("/v1/responses/\(secondID)", key: other).status == .notFound)

            let deleted = try await gateway.delete("/v1/responses/\(secondID)", key: key)
            #expect(deleted.status == .ok && deleted.json?["deleted"] as? Bool == true)
            #expect(try await gateway.get("/v1/responses/\(secondID)", key: key).status == .notFound)
            let rows = try await gateway.database.query("SELECT key_id FROM responses")
            #expect(rows.count == 1)
        }
    }

    @Test("store:false keeps nothing; a previous_response_id that does not exist is a 400")
    func notStored() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi","store":false}"#)
            let id = try #require(response.json?["id"] as? String)
            #expect(response.json?["store"] as? Bool == false)
            #expect(try await gateway.get("/v1/responses/\(id)").status == .notFound)
            let follow = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi","previous_response_id":"\#(id)"}"#)
            #expect(follow.status == .badRequest)
            #expect(follow.openAIError?["message"] as? String == "Previous response with id '\(id)' not found.")
            #expect(follow.openAIError?["param"] as? String == "previous_response_id")
        }
    }

    @Test("over responses.max_stored_bytes: answered, echoed store:false, not stored")
    func storeCap() async throws {
        try await GatewayHarness.run(configure: { $0.responses.maxStoredBytes = 2048 }) { gateway in
            let big = String(repeating: "long ", count: 1000)
            let response = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"\#(big)"}"#)
            #expect(response.status == .ok)
            #expect(response.json?["store"] as? Bool == false)
            let id = try #require(response.json?["id"] as? String)
            #expect(try await gateway.get("/v1/responses/\(id)").status == .notFound)
            // A small one still is.
            let small = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"short"}"#)
            let smallID = try #require(small.json?["id"] as? String)
            #expect(try await gateway.get("/v1/responses/\(smallID)").status == .ok)
        }
    }

    @Test("bad requests are 400s in OpenAI's error shape, logged as client errors")
    func refusals() async throws {
        try await GatewayHarness.run { gateway in
            let hosted = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"x","tools":[{"type":"file_search"}]}"#)
            #expect(hosted.status == .badRequest && hosted.openAIError?["param"] as? String == "tools[0].type")
            #expect(hosted.openAIError?["type"] as? String == "invalid_request_error")
            let empty = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":[]}"#)
            #expect(empty.status == .badRequest && empty.openAIError?["param"] as? String == "input")
            let unknown = try await gateway.post("/v1/responses", json: #"{"model":"no-such-model","input":"x"}"#)
            #expect(unknown.status == .notFound && unknown.openAIError?["code"] as? String == "model_not_found")
            let row = try await gateway.logRow(hosted.requestID)
            #expect(row.column("status") == "client_error" && row.column("dialect") == "responses")
            // Codex's default hosted tools are tolerated.
            let codex = try await gateway.post(
                "/v1/responses", json: #"{"model":"llama3.2","input":"x","store":false,"tools":[{"type":"web_search"},{"type":"function","name":"f"}]}"#
            )
            #expect(codex.status == .ok)
        }
    }

    @Test("retention deletes stored responses older than responses.retention_days")
    func retention() async throws {
        try await GatewayHarness.run { gateway in
            let response = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi"}"#)
            let id = try #require(response.json?["id"] as? String)
            _ = try await gateway.database.query("UPDATE responses SET created_at = now() - interval '10 days' WHERE id = $1", [.text(id)])
            let kept = try await gateway.post("/v1/responses", json: #"{"model":"llama3.2","input":"Hi"}"#)
            let keptID = try #require(kept.json?["id"] as? String)
            // Usage retention off (0 days), responses kept 7 days: only the old response goes.
            let retention = UsageRetention(pool: gateway.database, config: GatewayConfig.Usage(), responsesDays: 7, logger: TestServices.logger)
            #expect(try await retention.purge() == 0)
            #expect(try await gateway.get("/v1/responses/\(id)").status == .notFound)
            #expect(try await gateway.get("/v1/responses/\(keptID)").status == .ok)
        }
    }
}

extension GatewayHarness {
    func delete(_ path: String, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        headers[.authorization] = "Bearer \(key ?? Self.masterKey)"
        return try await client.execute(uri: path, method: .delete, headers: headers)
    }
}
