import Dialects
import FuzzSupport

/// `POST /v1/embeddings` bodies: decoded or refused with a `DialectError`; a decoded one translates into
/// a native `/api/embed` body that is valid JSON. The same input is also read as Ollama's embedding answer
/// (upstream bytes), whose OpenAI rendering must be valid JSON in both encodings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenAIEmbeddingRequest(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = fuzzInput(start, count)
    if let request = fuzzDecoder(bytes, { bytes throws(DialectError) in try OpenAIEmbeddingRequest(json: bytes) }) {
        requireValidJSON(OllamaEmbedRequest(request.embedding, ollamaModel: "fuzz-model").json(), "OllamaEmbedRequest.json()")
    }
    if let answer = fuzzDecoder(bytes, { bytes throws(DialectError) in try OpenAIEmbeddingResponse(ollamaJSON: bytes) }) {
        requireValidJSON(answer.json(model: "m", encodingFormat: .float), "OpenAIEmbeddingResponse.json(float)")
        requireValidJSON(answer.json(model: "m", encodingFormat: .base64), "OpenAIEmbeddingResponse.json(base64)")
    }
    return 0
}
