import Dialects
import FuzzSupport

/// Ollama-dialect bodies (`/api/chat`, `/api/generate`, `/api/embed`, `/api/show`), forwarded nearly
/// untouched: decoded or refused with a `DialectError`; the forwarded body is valid JSON that names the
/// gateway's model and keeps every other member as the client sent it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOllamaNativeRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    guard let request = fuzzDecoder(bytes, { bytes throws(DialectError) in try OllamaNativeRequest(body: bytes) }) else { return 0 }
    require(!request.model.isEmpty, "decoded without a model")
    require((request.maxTokens ?? 0) >= 0, "negative num_predict kept")
    let forwarded = requireValidJSON(request.body(model: "fuzz-model"), "OllamaNativeRequest.body(model:)")
    require(forwarded["model"]?.string == "fuzz-model", "the forwarded body does not name the gateway's model")
    if let original = parsedJSON(bytes)?.members, let members = forwarded.members {
        let kept = original.filter { $0.key != "model" && $0.key != "name" }
        require(members.filter { $0.key != "model" } == kept, "members other than the model changed")
    }
    return 0
}
