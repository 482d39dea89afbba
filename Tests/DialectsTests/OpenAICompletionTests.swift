import Testing
@testable import Dialects

@Suite("OpenAICompletionRequest")
struct OpenAICompletionRequestTests {
    private func request(_ json: String) throws(DialectError) -> OpenAICompletionRequest {
        try OpenAICompletionRequest(json: Array(json.utf8))
    }

    private func error(_ fields: String, sourceLocation: SourceLocation = #_sourceLocation) -> DialectError? {
        dialectError(sourceLocation: sourceLocation) { () throws(DialectError) in try request(#"{"model":"m""# + fields + "}") }
    }

    @Test func fieldsMapToAGenerateRequest() throws {
        let decoded = try request(#"""
            {"model":"qwen2.5-coder","prompt":"def add(","suffix":"\n    return c","max_tokens":32,"temperature":0,"top_p":0.5,
             "seed":1,"stop":"\n\n","frequency_penalty":0.1,"presence_penalty":0.2,"stream":true,"stream_options":{"include_usage":true},
             "n":1,"best_of":1,"echo":false,"logprobs":null,"logit_bias":{"50256":-100},"user":"u"}
            """#)
        #expect(decoded.includeUsage)
        #expect(decoded.completion == CompletionRequest(
            model: "qwen2.5-coder", prompt: "def add(", suffix: "\n    return c", stream: true,
            options: GenerationOptions(maxTokens: 32, temperature: 0, topP: 0.5, seed: 1, stop: ["\n\n"], frequencyPenalty: 0.1, presencePenalty: 0.2)
        ))
        #expect(text(OllamaGenerateRequest(decoded.completion, ollamaModel: "qwen2.5-coder:7b").json()) == """
            {"model":"qwen2.5-coder:7b","prompt":"def add(","suffix":"\\n    return c","stream":true,"options":\
            {"num_predict":32,"temperature":0,"top_p":0.5,"seed":1,"stop":["\\n\\n"],"frequency_penalty":0.1,"presence_penalty":0.2}}
            """)
    }

    @Test func defaultsLeaveSamplingUnset() throws {  // §5.3
        let decoded = try request(#"{"model":"m","prompt":"hi"}"#)
        #expect(decoded.completion == CompletionRequest(model: "m", prompt: "hi", stream: false))
        #expect(!decoded.includeUsage)
    }

    @Test func singleElementPromptArrayIsAccepted() throws {
        #expect(try request(#"{"model":"m","prompt":["only"]}"#).completion.prompt == "only")
    }

    @Test(arguments: [
        (#","prompt":["a","b"]"#, "prompt", "Only one prompt per request is supported; send 'prompt' as a string."),
        (#","prompt":[1,2,3]"#, "prompt", "token arrays are not supported; send the prompt as a string."),
        (#","prompt":[[1,2]]"#, "prompt", "token arrays are not supported; send the prompt as a string."),
        (#","prompt":[]"#, "prompt", "Only one prompt per request is supported; send 'prompt' as a string."),
        (#","prompt":5"#, "prompt", "Invalid type for 'prompt': expected a string."),
        ("", "prompt", "Missing required parameter: 'prompt'."),
        (#","prompt":"x","n":2"#, "n", "Only n=1 is supported: Tollgate returns one choice per request."),
        (#","prompt":"x","best_of":3"#, "best_of", "Only best_of=1 is supported: Tollgate returns one choice per request."),
        (#","prompt":"x","echo":true"#, "echo", "echo is not supported."),
        (#","prompt":"x","logprobs":21"#, "logprobs", "Invalid value for 'logprobs': expected an integer from 0 to 20."),
        (#","prompt":"x","max_tokens":0"#, "max_tokens", "Invalid value for 'max_tokens': must be at least 1."),
        (#","prompt":"x","stop":[null]"#, "stop[0]", "Invalid type for 'stop[0]': expected a string."),
    ])
    func refusals(fields: String, param: String, message: String) {
        let error = error(fields)
        #expect(error?.param == param)
        #expect(error?.message == message)
        #expect(error?.status == 400)
    }
}

@Suite("OpenAI completion encoders")
struct OpenAICompletionEncodingTests {
    private let envelope = OpenAICompletionEnvelope(id: "cmpl-1", created: 3, model: "m")
    private let head = #"data: {"id":"cmpl-1","object":"text_completion","created":3,"model":"m","system_fingerprint":"fp_tollgate""#

    private func encode(_ events: [ChatEvent], includeUsage: Bool = false) -> String {
        var encoder = OpenAICompletionStreamEncoder(envelope: envelope, includeUsage: includeUsage)
        return text(events.reduce(encoder.start()) { $0 + encoder.encode($1) })
    }

    private func chunk(_ text: String, _ reason: String?) -> String {
        head + #","choices":[{"text":""# + text + #"","index":0,"logprobs":null,"finish_reason":"# + (reason.map { "\"\($0)\"" } ?? "null") + "}]}\n\n"
    }

    private let finished = ChatEvent.finished(Completion(finishReason: .length, usage: Usage(promptTokens: 2, completionTokens: 3)))

    @Test func streamSequenceDropsThinkingAndEndsWithUsageAndDone() {
        let expected = chunk("Once", nil) + chunk(" upon", nil) + chunk("", "length")
            + head + #","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}"# + "\n\n" + "data: [DONE]\n\n"
        #expect(encode([.thinking("hidden"), .text("Once"), .text(" upon"), finished], includeUsage: true) == expected)
    }

    @Test func streamWithoutUsage() {
        #expect(encode([.text("a"), finished]) == chunk("a", nil) + chunk("", "length") + "data: [DONE]\n\n")
    }

    @Test func failureIsOneErrorEventAndNothingFollows() {
        #expect(encode([.text("a"), .failed(message: "gone"), finished])
            == chunk("a", nil) + #"data: {"error":{"message":"gone","type":"api_error","param":null,"code":null}}"# + "\n\n")
    }

    @Test func keepAliveAndContentType() {
        let encoder = OpenAICompletionStreamEncoder(envelope: envelope, includeUsage: false)
        #expect(text(encoder.keepAlive()) == ": keep-alive\n\n")
        #expect(OpenAICompletionStreamEncoder.contentType == "text/event-stream")
    }

    @Test func wholeAnswer() {
        var response = OpenAICompletionResponse(envelope: envelope)
        [ChatEvent.thinking("t"), .text("Hello"), .text(" \"world\""), finished].forEach { response.add($0) }
        #expect(response.completion?.finishReason == .length)
        #expect(text(response.json()) == """
            {"id":"cmpl-1","object":"text_completion","created":3,"model":"m","system_fingerprint":"fp_tollgate",\
            "choices":[{"text":"Hello \\"world\\"","index":0,"logprobs":null,"finish_reason":"length"}],\
            "usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}
            """)
    }

    @Test func wholeAnswerFailure() {
        var response = OpenAICompletionResponse(envelope: envelope)
        response.add(.failed(message: "x"))
        #expect(response.failure == "x")
        #expect(response.completion == nil)
    }
}
