import Foundation
import Testing
@testable import Dialects

/// Log probabilities: asked for in each dialect's words, sent to Ollama as `logprobs`/`top_logprobs`, read
/// from its answer objects, and written back in each dialect's shape.
@Suite("Log probabilities")
struct LogprobsTests {
    /// A native stream chunk for `token` with one alternative.
    static func nativeLine(_ token: String, logprob: String = "-0.25") -> [UInt8] {
        Array(
            #"{"model":"m","created_at":"t","message":{"role":"assistant","content":"\#(token)"},"done":false,"logprobs":[{"token":"\#(token)","logprob":\#(logprob),"bytes":[72,105],"top_logprobs":[{"token":"\#(token)","logprob":\#(logprob),"bytes":[72,105]},{"token":"Yo","logprob":-2.5}]}]}"#
                .utf8
        )
    }

    static let hi = TokenLogprob(
        token: "Hi", logprob: -0.25, bytes: [72, 105],
        top: [TokenLogprob(token: "Hi", logprob: -0.25, bytes: [72, 105]), TokenLogprob(token: "Yo", logprob: -2.5)]
    )

    // MARK: - Reading Ollama's answers

    @Test("a native chunk's logprobs follow its text as one event, alternatives included")
    func decoded() {
        var decoder = NativeChatDecoder()
        #expect(decoder.decode(line: Self.nativeLine("Hi")) == [.text("Hi"), .logprobs([Self.hi])])
    }

    @Test("malformed entries are skipped, a logprobs value that is not an array is ignored, the text still comes")
    func malformed() {
        var decoder = NativeChatDecoder()
        let skipped = Array(#"{"message":{"content":"a"},"done":false,"logprobs":[{"token":5},{"token":"a","logprob":-1}]}"#.utf8)
        #expect(decoder.decode(line: skipped) == [.text("a"), .logprobs([TokenLogprob(token: "a", logprob: -1)])])
        let notArray = Array(#"{"message":{"content":"b"},"done":false,"logprobs":{"token":"b"}}"#.utf8)
        #expect(decoder.decode(line: notArray) == [.text("b")])
        let broken = Array(#"{"message":{"content":"c"},"done":false,"logprobs":[{"token":"c",}]}"#.utf8)
        #expect(decoder.decode(line: broken) == [.failed(message: "upstream sent a line that is not JSON")])
    }

    // MARK: - Requests

    @Test("OpenAI chat: logprobs and top_logprobs reach Ollama; no logprobs, no field")
    func chatRequest() throws {
        let asked = try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":3}"#)
        #expect(asked.chat.logprobs == 3)
        #expect(text(OllamaChatRequest(asked.chat, ollamaModel: "m").json()).contains(#""logprobs":true,"top_logprobs":3"#))
        let bare = try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":true}"#)
        #expect(bare.chat.logprobs == 0)
        let none = try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":false}"#)
        #expect(none.chat.logprobs == nil)
        #expect(!text(OllamaChatRequest(none.chat, ollamaModel: "m").json()).contains("logprobs"))
    }

    @Test(
        "OpenAI chat: top_logprobs out of range, or without logprobs, is a 400 naming top_logprobs",
        arguments: [#""logprobs":true,"top_logprobs":21"#, #""logprobs":true,"top_logprobs":-1"#, #""top_logprobs":2"#]
    )
    func chatRefusals(fields: String) {
        let error = dialectError { () throws(DialectError) in try openAIRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],\#(fields)}"#) }
        #expect(error?.param == "top_logprobs")
        #expect(error?.kind == .invalidRequest)
    }

    @Test("completions: an integer logprobs above 0 asks for that many alternatives; 0 asks for none; 21 is a 400")
    func completionRequest() throws {
        let asked = try OpenAICompletionRequest(json: Array(#"{"model":"m","prompt":"p","logprobs":2}"#.utf8))
        #expect(asked.completion.logprobs == 2)
        #expect(text(OllamaGenerateRequest(asked.completion, ollamaModel: "m").json()).contains(#""logprobs":true,"top_logprobs":2"#))
        #expect(try OpenAICompletionRequest(json: Array(#"{"model":"m","prompt":"p","logprobs":0}"#.utf8)).completion.logprobs == nil)
        let error = dialectError { () throws(DialectError) in try OpenAICompletionRequest(json: Array(#"{"model":"m","prompt":"p","logprobs":21}"#.utf8)) }
        #expect(error?.param == "logprobs")
    }

    @Test("Responses: only include message.output_text.logprobs asks for them, with top_logprobs alternatives")
    func responsesRequest() throws {
        func request(_ fields: String) throws(DialectError) -> ResponsesRequest {
            try ResponsesRequest(body: ResponsesRequest.body(Array(#"{"model":"m","input":"hi"\#(fields)}"#.utf8)))
        }
        #expect(try request(#","include":["message.output_text.logprobs"],"top_logprobs":4"#).chat.logprobs == 4)
        #expect(try request(#","include":["message.output_text.logprobs"]"#).chat.logprobs == 0)
        #expect(try request(#","top_logprobs":4"#).chat.logprobs == nil)
        #expect(dialectError { () throws(DialectError) in try request(#","top_logprobs":99"#) }?.param == "top_logprobs")
    }

    // MARK: - Answers

    private let envelope = OpenAIChatEnvelope(id: "chatcmpl-1", created: 1_700_000_000, model: "m")
    private let done = ChatEvent.finished(Completion(finishReason: .stop, usage: Usage(promptTokens: 3, completionTokens: 2)))
    private var yo: TokenLogprob { TokenLogprob(token: "!", logprob: -1.5, bytes: [33]) }

    @Test("OpenAI chat, whole: choices[0].logprobs.content holds every entry in order, with bytes and alternatives")
    func chatWhole() throws {
        var builder = OpenAIChatResponse(envelope: envelope)
        for event in [ChatEvent.text("Hi"), .logprobs([Self.hi]), .text("!"), .logprobs([yo]), done] { builder.add(event) }
        let choice = try firstChoice(try jsonObject(builder.json()))
        let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        #expect(content.map { $0["token"] as? String } == ["Hi", "!"])
        #expect(content[0]["logprob"] as? Double == -0.25)
        #expect(content[0]["bytes"] as? [Int] == [72, 105])
        let top = try #require(content[0]["top_logprobs"] as? [[String: Any]])
        #expect(top.map { $0["token"] as? String } == ["Hi", "Yo"])
        #expect(top[1]["bytes"] is NSNull)
        #expect(top[1]["top_logprobs"] == nil)
        #expect((content[1]["top_logprobs"] as? [Any])?.isEmpty == true)
    }

    @Test("OpenAI chat, whole: without logprobs events the choice has no logprobs member")
    func chatWholeWithout() throws {
        var builder = OpenAIChatResponse(envelope: envelope)
        for event in [ChatEvent.text("Hi"), done] { builder.add(event) }
        #expect(try firstChoice(try jsonObject(builder.json()))["logprobs"] == nil)
    }

    @Test("OpenAI chat, streamed: a logprobs event is its own chunk with empty content")
    func chatStream() throws {
        var encoder = OpenAIStreamEncoder(envelope: envelope, includeUsage: false)
        var bytes: [UInt8] = []
        for event in [ChatEvent.text("Hi"), .logprobs([Self.hi]), done] { bytes += encoder.encode(event) }
        let chunks = try sseEvents(bytes).compactMap(\.object)
        try #require(chunks.count == 3)
        let choice = try firstChoice(chunks[1])
        #expect((choice["delta"] as? [String: Any])?["content"] as? String == "")
        let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        #expect(content.first?["token"] as? String == "Hi")
        #expect(try firstChoice(chunks[0])["logprobs"] == nil)
    }

    @Test("completions: the legacy parallel arrays, with text offsets counted across chunks")
    func completions() throws {
        var builder = OpenAICompletionResponse(envelope: envelope)
        for event in [ChatEvent.text("Hi"), .logprobs([Self.hi]), .text("!"), .logprobs([yo]), done] { builder.add(event) }
        let logprobs = try #require(try firstChoice(try jsonObject(builder.json()))["logprobs"] as? [String: Any])
        #expect(logprobs["tokens"] as? [String] == ["Hi", "!"])
        #expect(logprobs["token_logprobs"] as? [Double] == [-0.25, -1.5])
        #expect(logprobs["text_offset"] as? [Int] == [0, 2])
        let top = try #require(logprobs["top_logprobs"] as? [[String: Double]])
        #expect(top[0] == ["Hi": -0.25, "Yo": -2.5])

        var encoder = OpenAICompletionStreamEncoder(envelope: envelope, includeUsage: false)
        var bytes: [UInt8] = []
        for event in [ChatEvent.text("Hi"), .logprobs([Self.hi]), .text("!"), .logprobs([yo]), done] { bytes += encoder.encode(event) }
        let chunks = try sseEvents(bytes).compactMap(\.object)
        #expect(try firstChoice(chunks[0])["logprobs"] is NSNull)
        let second = try #require(try firstChoice(chunks[3])["logprobs"] as? [String: Any])
        #expect(second["text_offset"] as? [Int] == [2])
    }

    @Test("Responses: the message's output_text carries the entries in .done events and in the final object")
    func responses() throws {
        let envelope = try ResponsesStreamEncoderTests.envelope()
        let events: [ChatEvent] = [.thinking("hm"), .logprobs([yo]), .text("Hi"), .logprobs([Self.hi]), done]
        let frames = try ResponsesStreamEncoderTests.events(ResponsesStreamEncoderTests.run(events, envelope: envelope))
        let delta = try #require(frames.first { $0["type"] as? String == "response.output_text.delta" })
        #expect((delta["logprobs"] as? [Any])?.isEmpty == true)
        let textDone = try #require(frames.first { $0["type"] as? String == "response.output_text.done" })
        #expect((textDone["logprobs"] as? [[String: Any]])?.map { $0["token"] as? String } == ["Hi"])
        let completed = try #require(frames.last)
        let output = try #require((completed["response"] as? [String: Any])?["output"] as? [[String: Any]])
        let message = try #require(output.first { $0["type"] as? String == "message" })
        let part = try #require((message["content"] as? [[String: Any]])?.first)
        // The reasoning item's entry ("!") had nowhere to go and was dropped.
        #expect((part["logprobs"] as? [[String: Any]])?.map { $0["token"] as? String } == ["Hi"])

        var answer = ResponsesAnswer(envelope: try ResponsesStreamEncoderTests.envelope())
        for event in events { answer.add(event) }
        let whole = try jsonObject(answer.json())
        let wholeMessage = try #require((whole["output"] as? [[String: Any]])?.first { $0["type"] as? String == "message" })
        let wholePart = try #require((wholeMessage["content"] as? [[String: Any]])?.first)
        #expect((wholePart["logprobs"] as? [[String: Any]])?.count == 1)
    }

    @Test("Anthropic ignores them: the same answer with and without logprobs events is byte-identical")
    func anthropic() {
        func stream(_ events: [ChatEvent]) -> [UInt8] {
            var encoder = AnthropicStreamEncoder(messageID: "msg_1", model: "m", estimatedInputTokens: 3)
            return encoder.start() + events.flatMap { encoder.encode($0) }
        }
        #expect(stream([.text("Hi"), .logprobs([Self.hi]), done]) == stream([.text("Hi"), done]))
    }
}
