import Foundation
import Testing
@testable import Dialects

@Suite("OpenAIStreamEncoder")
struct OpenAIStreamEncoderTests {
    private let envelope = OpenAIChatEnvelope(id: "chatcmpl-abc123", created: 1_700_000_000, model: "gpt-4o-mini")

    private func encode(_ events: [ChatEvent], includeUsage: Bool = false) throws -> [SSEEvent] {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: includeUsage)
        var bytes: [UInt8] = []
        for event in events { bytes += encoder.encode(event) }
        return try sseEvents(bytes)
    }

    private func finished(_ reason: FinishReason = .stop, prompt: Int = 5, completion: Int = 2) -> ChatEvent {
        .finished(Completion(finishReason: reason, usage: Usage(promptTokens: prompt, completionTokens: completion)))
    }

    private func delta(_ chunk: [String: Any]) throws -> [String: Any] {
        try #require(try firstChoice(chunk)["delta"] as? [String: Any])
    }

    @Test func fullStreamWithUsage() throws {
        let events = try encode([.text("Hel"), .text("lo"), finished(prompt: 5, completion: 2)], includeUsage: true)
        try #require(events.count == 5)
        let chunks = events.compactMap(\.object)
        #expect(chunks.count == 4)
        #expect(events.last?.isDone == true)

        for chunk in chunks {
            #expect(chunk["id"] as? String == "chatcmpl-abc123")
            #expect(chunk["created"] as? Int == 1_700_000_000)
            #expect(chunk["model"] as? String == "gpt-4o-mini")
            #expect(chunk["object"] as? String == "chat.completion.chunk")
        }

        let first = try delta(chunks[0])
        #expect(first["role"] as? String == "assistant")
        #expect(first["content"] as? String == "Hel")
        let second = try delta(chunks[1])
        #expect(second["role"] == nil, "only the first chunk carries the role")
        #expect(second["content"] as? String == "lo")
        for chunk in chunks[0...1] {
            let choice = try firstChoice(chunk)
            #expect(choice["index"] as? Int == 0)
            #expect(choice["finish_reason"] is NSNull, "finish_reason must be JSON null on content chunks")
        }

        let finish = try firstChoice(chunks[2])
        #expect((finish["delta"] as? [String: Any])?.isEmpty == true)
        #expect(finish["finish_reason"] as? String == "stop")

        let usageChunk = chunks[3]
        #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
        let usage = try #require(usageChunk["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 5)
        #expect(usage["completion_tokens"] as? Int == 2)
        #expect(usage["total_tokens"] as? Int == 7)
    }

    @Test func withoutIncludeUsageThereIsNoUsageChunk() throws {
        let events = try encode([.text("x"), finished()])
        #expect(events.count == 3)
        #expect(events.compactMap(\.object).allSatisfy { $0["usage"] == nil })
        #expect(events.last?.isDone == true)
    }

    @Test func lengthFinishReason() throws {
        let events = try encode([.text("x"), finished(.length)])
        let finish = try firstChoice(try #require(events[1].object))
        #expect(finish["finish_reason"] as? String == "length")
    }

    @Test(arguments: [false, true])
    func zeroTokenAnswerStillHasRoleFinishAndDone(includeUsage: Bool) throws {
        let events = try encode([finished(prompt: 9, completion: 0)], includeUsage: includeUsage)
        #expect(events.count == (includeUsage ? 4 : 3))
        let role = try delta(try #require(events[0].object))
        #expect(role["role"] as? String == "assistant")
        #expect(role["content"] as? String == "")
        #expect(try firstChoice(try #require(events[0].object))["finish_reason"] is NSNull)
        let finish = try firstChoice(try #require(events[1].object))
        #expect((finish["delta"] as? [String: Any])?.isEmpty == true)
        #expect(finish["finish_reason"] as? String == "stop")
        if includeUsage {
            let usage = try #require(events[2].object?["usage"] as? [String: Any])
            #expect(usage["total_tokens"] as? Int == 9)
        }
        #expect(events.last?.isDone == true)
    }

    @Test func thinkingIsSentAsReasoningAndTakesTheRole() throws {
        let events = try encode([.thinking("hmm"), .text("answer"), finished()])
        let first = try delta(try #require(events[0].object))
        #expect(first["role"] as? String == "assistant")
        #expect(first["reasoning"] as? String == "hmm")
        #expect(first["content"] as? String == "")
        let second = try delta(try #require(events[1].object))
        #expect(second["role"] == nil)
        #expect(second["content"] as? String == "answer")
    }

    @Test func failureBeforeAnyTextIsOneErrorEventWithoutDone() throws {
        let events = try encode([.failed(message: "Ollama went away")])
        try #require(events.count == 1)
        let error = try #require(events[0].object?["error"] as? [String: Any])
        #expect(error["message"] as? String == "Ollama went away")
        #expect(error["type"] as? String == "api_error")
        #expect(events[0].object?["choices"] == nil)
    }

    @Test func failureMidStreamEndsWithTheErrorAndNoDone() throws {
        let events = try encode([.text("partial"), .failed(message: "upstream sent a line that is not JSON")])
        #expect(events.count == 2)
        #expect(events.allSatisfy { !$0.isDone })
        #expect(events.last?.object?["error"] is [String: Any])
    }

    @Test func doneIsExactlyTheLastBytes() {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: false)
        _ = encoder.encode(.text("x"))
        let tail = encoder.encode(finished())
        #expect(String(decoding: tail, as: UTF8.self).hasSuffix("\n\ndata: [DONE]\n\n"))
    }

    @Test func textEventIsExactlyOneFrame() {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: false)
        let bytes = encoder.encode(.text("a\n\nb"))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("data: {"))
        #expect(text.hasSuffix("}\n\n"))
        #expect(text.dropLast(2).contains("\n") == false, "newlines inside content must be escaped")
    }

    static let trickyStrings = [
        "quote \" and backslash \\ and slash /",
        "newline\nreturn\rtab\t",
        "controls \u{00}\u{01}\u{08}\u{0B}\u{0C}\u{1F}\u{7F}",
        "emoji 😀👍🏽 and CJK 你好 and é",
        "separators \u{0085} \u{2028} \u{2029}",
        "\\n literal, \\u0000 literal, \"\\\"",
        "",
    ]

    @Test(arguments: trickyStrings)
    func contentSurvivesJSONRoundTrip(text: String) throws {
        let events = try encode([.text(text), finished()])
        #expect(try delta(try #require(events[0].object))["content"] as? String == text)
    }

    @Test(arguments: trickyStrings)
    func reasoningAndErrorMessagesSurviveJSONRoundTrip(text: String) throws {
        let thinking = try encode([.thinking(text)])
        #expect(try delta(try #require(thinking[0].object))["reasoning"] as? String == text)
        let failure = try encode([.failed(message: text)])
        #expect((failure[0].object?["error"] as? [String: Any])?["message"] as? String == text)
    }

    @Test func envelopeStringsAreEscaped() throws {
        var encoder = OpenAIStreamEncoder(
            envelope: OpenAIChatEnvelope(id: "id\"with\\quote", created: 0, model: "my \"model\"\n"), includeUsage: false
        )
        let events = try sseEvents(encoder.encode(.text("x")))
        #expect(events[0].object?["id"] as? String == "id\"with\\quote")
        #expect(events[0].object?["model"] as? String == "my \"model\"\n")
    }
}
