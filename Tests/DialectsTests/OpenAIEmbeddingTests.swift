import Foundation
import Testing
@testable import Dialects

@Suite("OpenAI embeddings")
struct OpenAIEmbeddingTests {
    private func request(_ json: String) throws(DialectError) -> OpenAIEmbeddingRequest {
        try OpenAIEmbeddingRequest(json: Array(json.utf8))
    }

    private func error(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> DialectError? {
        dialectError(sourceLocation: sourceLocation) { () throws(DialectError) in try request(json) }
    }

    @Test(arguments: [
        (#"{"model":"e","input":"hello"}"#, ["hello"]),
        (#"{"model":"e","input":""}"#, [""]),
        (#"{"model":"e","input":["a","b",""]}"#, ["a", "b", ""]),
    ])
    func inputs(json: String, expected: [String]) throws {  // §3.7
        let decoded = try request(json)
        #expect(decoded.embedding.inputs == expected)
        #expect(decoded.encodingFormat == .float)
        #expect(text(OllamaEmbedRequest(decoded.embedding, ollamaModel: "nomic-embed-text").json())
            == #"{"model":"nomic-embed-text","input":["# + expected.map { "\"\($0)\"" }.joined(separator: ",") + "]}")
    }

    @Test(arguments: [("float", OpenAIEmbeddingRequest.EncodingFormat.float), ("BASE64", .base64), ("Float", .float), ("base64", .base64)])
    func encodingFormatIsCaseInsensitive(name: String, expected: OpenAIEmbeddingRequest.EncodingFormat) throws {
        #expect(try request(#"{"model":"e","input":"x","encoding_format":"\#(name)"}"#).encodingFormat == expected)
    }

    @Test func dimensionsAreForwarded() throws {
        let decoded = try request(#"{"model":"e","input":"x","dimensions":256,"user":"ignored"}"#)
        #expect(text(OllamaEmbedRequest(decoded.embedding, ollamaModel: "n").json()) == #"{"model":"n","input":["x"],"dimensions":256}"#)
    }

    @Test(arguments: [
        (#"{"model":"e","input":"x","encoding_format":"int8"}"#, "encoding_format", "Invalid value for 'encoding_format' = int8. Supported values: ['float', 'base64']."),
        (#"{"model":"e","input":[1,2,3]}"#, "input", "token arrays are not supported; send the input as text."),
        (#"{"model":"e","input":[[1,2],[3]]}"#, "input", "token arrays are not supported; send the input as text."),
        (#"{"model":"e","input":[]}"#, "input", "Invalid value for 'input': expected a non-empty string or array of strings."),
        (#"{"model":"e","input":null}"#, "input", "Missing required parameter: 'input'."),
        (#"{"model":"e"}"#, "input", "Missing required parameter: 'input'."),
        (#"{"model":"e","input":["a",null]}"#, "input[1]", "Invalid type for 'input[1]': expected a string."),
        (#"{"model":"e","input":{"a":1}}"#, "input", "Invalid type for 'input': expected a string or an array of strings."),
        (#"{"input":"x"}"#, "model", "You must provide a model parameter."),
        (#"{"model":"e","input":"x","dimensions":0}"#, "dimensions", "Invalid value for 'dimensions': must be at least 1."),
    ])
    func refusals(json: String, param: String, message: String) {  // §5.20
        let error = error(json)
        #expect(error?.param == param)
        #expect(error?.message == message)
        #expect(error?.status == 400)
    }

    private let ollamaAnswer = Array(#"{"model":"nomic","embeddings":[[0.010071029,-0.0017594862,1e-05,-2],[0.5,0.25,0,1]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}"#.utf8)

    @Test func floatResponseKeepsOllamasNumberText() throws {
        let response = try OpenAIEmbeddingResponse(ollamaJSON: ollamaAnswer)
        #expect(response.promptTokens == 8)
        #expect(text(response.json(model: "text-embedding-3-small", encodingFormat: .float)) == """
            {"object":"list","data":[{"object":"embedding","embedding":[0.010071029,-0.0017594862,1e-05,-2],"index":0},\
            {"object":"embedding","embedding":[0.5,0.25,0,1],"index":1}],"model":"text-embedding-3-small",\
            "usage":{"prompt_tokens":8,"total_tokens":8}}
            """)
    }

    @Test func base64ResponseDecodesBackToTheFloats() throws {  // §3.7 little-endian float32
        let response = try OpenAIEmbeddingResponse(ollamaJSON: ollamaAnswer)
        let object = try jsonObject(response.json(model: "e", encodingFormat: .base64))
        let data = try #require(object["data"] as? [[String: Any]])
        #expect(data.map { $0["index"] as? Int } == [0, 1])
        let expected: [[Float]] = [[0.010071029, -0.0017594862, 1e-05, -2], [0.5, 0.25, 0, 1]]
        for (item, floats) in zip(data, expected) {
            let encoded = try #require(item["embedding"] as? String)
            let bytes = try #require(Data(base64Encoded: encoded))
            #expect(bytes.count == floats.count * 4)
            let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
            }
            #expect(decoded == floats)
        }
    }

    @Test func base64PaddingForEveryRemainder() throws {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test func emptyEmbeddingsAndMissingCount() throws {
        let response = try OpenAIEmbeddingResponse(ollamaJSON: Array(#"{"model":"m","embeddings":[]}"#.utf8))
        #expect(response.promptTokens == 0)
        #expect(text(response.json(model: "m", encodingFormat: .base64)) == #"{"object":"list","data":[],"model":"m","usage":{"prompt_tokens":0,"total_tokens":0}}"#)
    }

    @Test(arguments: ["not json", #"{"embeddings":[["a"]]}"#, #"{"embeddings":[1]}"#, #"{"error":"model 'x' not found"}"#])
    func unreadableOllamaAnswerIsAnUpstreamError(body: String) {
        let error = dialectError { () throws(DialectError) in try OpenAIEmbeddingResponse(ollamaJSON: Array(body.utf8)) }
        #expect(error?.kind == .upstreamUnavailable)
    }
}

@Suite("OpenAIModel")
struct OpenAIModelTests {
    @Test func singleModelObject() {
        #expect(text(OpenAIModel(id: "llama3.2:latest", created: 1_746_405_464).json())
            == #"{"id":"llama3.2:latest","object":"model","created":1746405464,"owned_by":"library"}"#)
    }

    @Test(arguments: [
        ("llama3.2", "library"), ("user/model:tag", "user"), ("hf.co/bartowski/Qwen:Q4_K_M", "bartowski"), ("/odd", "library"),
    ])
    func ownerIsTheNamespace(name: String, owner: String) {
        #expect(OpenAIModel.owner(of: name) == owner)
    }

    @Test func listUsesTheSameObjects() {
        #expect(text(OpenAIModelList.json([OpenAIModel(id: "a", created: 1, ownedBy: "o")]))
            == #"{"object":"list","data":[{"id":"a","object":"model","created":1,"owned_by":"o"}]}"#)
    }
}
