import Dialects
import FuzzSupport

/// `POST /v1/messages` and `/v1/messages/count_tokens` bodies: decoded or refused with a `DialectError`.
/// A decoded one translates into a valid native `/api/chat` body, and its token estimate is not negative.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAnthropicMessagesRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    if let request = fuzzDecoder(bytes, { bytes throws(DialectError) in try AnthropicMessagesRequest(body: bytes) }) {
        requireValidJSON(OllamaChatRequest(request.chat, ollamaModel: "fuzz-model").json(), "OllamaChatRequest.json()")
        require(request.estimatedInputTokens >= 0, "negative token estimate")
    }
    if let count = fuzzDecoder(bytes, { bytes throws(DialectError) in try AnthropicCountTokensRequest(body: bytes) }) {
        require(count.inputTokens >= 0, "negative token count")
        requireValidJSON(count.responseJSON(), "AnthropicCountTokensRequest.responseJSON()")
    }
    return 0
}
