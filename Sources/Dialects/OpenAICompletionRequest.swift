/// OpenAI's legacy `POST /v1/completions` request, checked field by field; sent to Ollama's `/api/generate`.
///
/// Accepted: `model`, `prompt` (a string, or an array holding exactly one string), `suffix`, `max_tokens`,
/// `temperature`, `top_p`, `seed`, `stop`, `frequency_penalty`, `presence_penalty`, `stream`,
/// `stream_options.include_usage`, and `logprobs` (0…20; above 0 asks Ollama for each token's log probability and
/// that many alternatives). Refused with a 400, because silently answering differently would mislead the
/// caller: several prompts or token-array prompts, `n` or `best_of` above 1, `echo: true`. `logit_bias` is
/// ignored; `user` names the end user (``user``).
/// As for chat, absent sampling options stay unset (the Modelfile's defaults apply; Ollama would force 1.0).
public struct OpenAICompletionRequest: Sendable, Equatable {
    public var completion: CompletionRequest
    public var includeUsage: Bool
    /// `user`: the person behind the call, for attribution and their limits; never sent to Ollama.
    public var user: String? = nil

    public init(json bytes: some Collection<UInt8>) throws(DialectError) {
        try self.init(body: RequestField.body(bytes))
    }

    public init(body: JSON) throws(DialectError) {
        guard case .object = body else { throw DialectError(.invalidRequest, "The request body must be a JSON object.") }
        guard let model = try body.stringField("model"), !model.isEmpty else {
            throw DialectError(.invalidRequest, "You must provide a model parameter.", param: "model")
        }
        let prompt = try Self.prompt(body.present("prompt"))
        for name in ["n", "best_of"] {
            if let count = try body.intField(name), count != 1 {
                throw DialectError(.invalidRequest, "Only \(name)=1 is supported: Tollgate returns one choice per request.", param: name)
            }
        }
        if try body.boolField("echo") == true {
            throw DialectError(.invalidRequest, "echo is not supported.", param: "echo")
        }
        let logprobs = try body.intField("logprobs")
        if let logprobs, !(0...TokenLogprob.maxTop).contains(logprobs) {
            throw RequestField.invalidValue("logprobs", "expected an integer from 0 to \(TokenLogprob.maxTop).")
        }
        let options = GenerationOptions(
            maxTokens: try body.tokenLimitField("max_tokens"),
            temperature: try body.doubleField("temperature"),
            topP: try body.doubleField("top_p"),
            topK: try body.intField("top_k"),
            seed: try body.intField("seed"),
            stop: try body.stopField(),
            frequencyPenalty: try body.doubleField("frequency_penalty"),
            presencePenalty: try body.doubleField("presence_penalty")
        )
        let streamOptions = try body.objectField("stream_options")
        self.includeUsage = try streamOptions?.boolField("include_usage", in: "stream_options") ?? false
        self.user = try body.stringField("user")
        self.completion = CompletionRequest(
            model: model, prompt: prompt, suffix: try body.stringField("suffix"), stream: try body.boolField("stream") ?? false,
            options: options, logprobs: logprobs.flatMap { $0 > 0 ? $0 : nil }
        )
    }

    /// A string, or an array of exactly one string.
    static func prompt(_ value: JSON?) throws(DialectError) -> String {
        switch value {
        case nil: throw RequestField.missing("prompt")
        case .string(let text)?: return text
        case .array(let elements)?:
            if elements.contains(where: { if case .number = $0 { true } else { false } })
                || elements.contains(where: { $0.array != nil })
            {
                throw DialectError(.invalidRequest, "token arrays are not supported; send the prompt as a string.", param: "prompt")
            }
            guard elements.count == 1, case .string(let text) = elements[0] else {
                throw DialectError(
                    .invalidRequest, "Only one prompt per request is supported; send 'prompt' as a string.", param: "prompt"
                )
            }
            return text
        default:
            throw RequestField.invalidType("prompt", expected: "a string")
        }
    }
}
