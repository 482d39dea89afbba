import Dialects
import FuzzSupport

/// `POST /v1/chat/completions` bodies. A body either decodes or is refused with a `DialectError`; a decoded
/// one translates into a native `/api/chat` body that is valid JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenAIChatRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    guard let request = fuzzDecoder(bytes, { bytes throws(DialectError) in try OpenAIChatRequest(json: bytes) }) else { return 0 }
    let native = OllamaChatRequest(request.chatRequest(), ollamaModel: "fuzz-model").json()
    requireValidJSON(native, "OllamaChatRequest.json()")
    return 0
}
