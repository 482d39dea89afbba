import Dialects
import Foundation
import Testing

@Suite struct OllamaNativeRequestTests {
    @Test func swapsOnlyTheModelAndKeepsEveryOtherByte() throws {
        let body = #"{"model":"fast","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":5,"top_k":40,"temperature":0.70},"keep_alive":"5m","format":{"b":1,"a":2}}"#
        let request = try OllamaNativeRequest(body: Array(body.utf8))
        #expect(request.model == "fast")
        #expect(request.stream)
        #expect(request.maxTokens == 5)
        let sent = String(decoding: request.body(model: "llama3.2:latest"), as: UTF8.self)
        #expect(sent == body.replacingOccurrences(of: #""model":"fast""#, with: #""model":"llama3.2:latest""#))
    }

    @Test func streamFalseAndLegacyName() throws {
        let request = try OllamaNativeRequest(body: Array(#"{"name":"llama3.2","stream":false}"#.utf8))
        #expect(request.model == "llama3.2")
        #expect(!request.stream)
        #expect(String(decoding: request.body(model: "llama3.2:latest"), as: UTF8.self) == #"{"model":"llama3.2:latest","stream":false}"#)
    }

    @Test(arguments: [
        ("", "missing request body"),
        ("{", "invalid JSON"),
        ("[]", "must be a JSON object"),
        (#"{"messages":[]}"#, "model is required"),
        (#"{"model":""}"#, "model is required"),
        (#"{"model":"m","stream":"yes"}"#, "'stream'"),
    ])
    func refusesWhatOllamaRefuses(body: String, message: String) {
        do {
            _ = try OllamaNativeRequest(body: Array(body.utf8))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains(message))
        }
    }
}
