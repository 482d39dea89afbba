import Dialects
import FuzzSupport

/// `POST /v1/completions` bodies: decoded or refused with a `DialectError`; a decoded one translates into
/// a native `/api/generate` body that is valid JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenAICompletionRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    guard let request = fuzzDecoder(bytes, { bytes throws(DialectError) in try OpenAICompletionRequest(json: bytes) }) else { return 0 }
    let native = OllamaGenerateRequest(request.completion, ollamaModel: "fuzz-model").json()
    requireValidJSON(native, "OllamaGenerateRequest.json()")
    return 0
}
