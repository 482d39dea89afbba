/// An estimate of a prompt's size in tokens, for Anthropic's `message_start` and `/v1/messages/count_tokens`.
///
/// Tollgate cannot tokenize: every Ollama model has its own tokenizer and chat template, and asking Ollama
/// would cost a render per call (Claude Code calls `count_tokens` often). So the count is a documented
/// heuristic, deliberately simple and slightly generous — clients use it to decide when to compact, and a
/// prompt that is larger than reported is silently truncated by Ollama, while one that is smaller only
/// compacts a little early:
///
///     tokens = ceil(textBytes / 4)
///            + 4 per message + 6 per tool call + 10 per tool definition
///            + 1,600 per image
///            + 3 (the reply's header the template appends)
///
/// - `textBytes` counts UTF-8 bytes, not characters, of: every message's content and thinking, tool
///   calls' names and compact JSON arguments, tool results (already text), tool names on `tool` messages,
///   and each tool's name, description and compact JSON schema. Four bytes per token is the usual figure
///   for English text and code with BPE tokenizers; counting bytes rather than characters keeps the
///   estimate sane for CJK and other multi-byte scripts, where a character is often a whole token or more.
/// - The per-message, per-call and per-tool constants stand for the role markers and the JSON wrapping a
///   chat template adds around each part (`<|im_start|>user\n…<|im_end|>\n` is about 4 tokens;
///   `{"type":"function","function":{…}}` about 10).
/// - Images are a flat 1,600 tokens each: the size of an image at Anthropic's recommended maximum
///   (about 1.15 megapixels at width × height / 750), and in the range of what local vision models spend
///   (Qwen2.5-VL about 1,300 for a 1-megapixel image; LLaVA 576; Gemma 3 256). Decoding images to measure
///   them is not worth the cost for an estimate.
/// - Replayed thinking is counted although many templates drop it: overestimating is the safer error.
///
/// The real count (`prompt_eval_count`) replaces the estimate in `message_delta` and the final usage
/// whenever Ollama reports one.
public enum AnthropicTokenEstimate {
    public static let bytesPerToken = 4
    public static let tokensPerMessage = 4
    public static let tokensPerToolCall = 6
    public static let tokensPerTool = 10
    public static let tokensPerImage = 1_600
    public static let replyPrimer = 3

    public static func inputTokens(_ request: ChatRequest) -> Int {
        var bytes = 0
        var tokens = replyPrimer
        for message in request.messages {
            tokens += tokensPerMessage + tokensPerImage * message.images.count
            bytes += message.content.utf8.count + (message.thinking?.utf8.count ?? 0) + (message.toolName?.utf8.count ?? 0)
            for call in message.toolCalls {
                tokens += tokensPerToolCall
                bytes += call.name.utf8.count + call.arguments.bytes.count
            }
        }
        for tool in request.tools {
            tokens += tokensPerTool
            bytes += tool.name.utf8.count + (tool.description?.utf8.count ?? 0) + tool.parameters.bytes.count
        }
        return tokens + (bytes + bytesPerToken - 1) / bytesPerToken
    }
}

/// Anthropic's `POST /v1/messages/count_tokens` body: the prompt parts of a messages request, estimated.
///
/// Decodes `model` (required), `messages` (required), `system`, `tools`, `tool_choice`, `thinking` exactly as
/// ``AnthropicMessagesRequest`` does (same 400s), without requiring `max_tokens`. The answer is
/// ``AnthropicTokenEstimate`` over the mapped request — the same figure `message_start` reports.
public struct AnthropicCountTokensRequest: Sendable, Equatable {
    /// The prompt in Tollgate's terms (`stream` false, no sampling options).
    public var chat: ChatRequest

    public init(body: some Collection<UInt8>) throws(DialectError) {
        try self.init(json: AnthropicFields.parse(body))
    }

    public init(json: JSON) throws(DialectError) {
        let fields = try AnthropicFields(json)
        chat = ChatRequest(
            model: fields.model, messages: try fields.messages(), stream: false, tools: try fields.tools(),
            format: fields.format(), think: fields.think()
        )
    }

    public var inputTokens: Int { AnthropicTokenEstimate.inputTokens(chat) }

    /// `{"input_tokens":N}`.
    public func responseJSON() -> [UInt8] { Self.responseJSON(inputTokens: inputTokens) }

    public static func responseJSON(inputTokens: Int) -> [UInt8] {
        var json = JSONWriter(capacity: 32)
        json.raw("{\"input_tokens\":")
        json.int(inputTokens)
        json.raw("}")
        return json.bytes
    }
}
