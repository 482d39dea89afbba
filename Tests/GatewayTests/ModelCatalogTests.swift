import Testing
@testable import Gateway

@Suite("ModelCatalog.match")
struct ModelCatalogMatchTests {
    static let installed = ["llama3.2:latest", "llama3.2:3b", "qwen3:8b", "hf.co/org/Model-GGUF:latest", "registry:5000/team/coder:latest"]

    @Test(arguments: [
        ("llama3.2", "llama3.2:latest"),
        ("llama3.2:latest", "llama3.2:latest"),
        ("LLaMA3.2", "llama3.2:latest"),
        ("LLAMA3.2:LATEST", "llama3.2:latest"),
        ("llama3.2:3b", "llama3.2:3b"),
        ("Qwen3:8B", "qwen3:8b"),
        ("hf.co/org/model-gguf", "hf.co/org/Model-GGUF:latest"),
        ("registry:5000/team/coder", "registry:5000/team/coder:latest"),
    ])
    func matches(name: String, expected: String) {
        #expect(ModelCatalog.match(name, in: Self.installed) == expected)
    }

    @Test(arguments: ["llama3.2:1b", "llama3", "qwen3", "qwen3:8", "llama3.2:latest2", "", "registry:5000/team/coder:v2"])
    func doesNotMatch(name: String) {
        #expect(ModelCatalog.match(name, in: Self.installed) == nil)
    }

    @Test func taggedRequestDoesNotMatchLatest() {
        #expect(ModelCatalog.match("llama3.2:1b", in: ["llama3.2:latest"]) == nil)
    }

    @Test func returnsOllamasSpellingAndTheFirstMatch() {
        #expect(ModelCatalog.match("mistral", in: ["Mistral:Latest", "mistral:latest"]) == "Mistral:Latest")
    }

    @Test func untaggedOllamaNameMatchesLatest() {
        #expect(ModelCatalog.match("phi4:latest", in: ["phi4"]) == "phi4")
    }

    @Test func emptyListMatchesNothing() {
        #expect(ModelCatalog.match("llama3.2", in: []) == nil)
    }

    @Test(arguments: [
        ("llama3", "llama3:latest"), ("Llama3:8B", "llama3:8b"), ("registry:5000/team/coder", "registry:5000/team/coder:latest"),
        ("org/model:q4/", "org/model:q4/"), ("org/model//", "org/model//:latest"), ("/", "/:latest"), ("", ":latest"),
    ])
    func normalizedNames(name: String, expected: String) {
        #expect(ModelName.normalized(name) == expected)
    }

    /// The fleet's index answers exactly what a pass over the listed names answers.
    @Test func theListingIndexAgreesWithMatch() {
        let names = Self.installed + ["Mistral:Latest", "mistral:latest", "phi4"]
        let listing = ModelListing(names: names)
        #expect(listing.names == names)
        for name in ["llama3.2", "LLAMA3.2:LATEST", "hf.co/org/model-gguf", "registry:5000/team/coder", "mistral", "phi4:latest", "qwen3", ""] {
            #expect(listing.byNormalizedName[ModelName.normalized(name)] == ModelCatalog.match(name, in: names), "\(name)")
        }
    }
}

@Suite("ResolvedModel.costMicros")
struct CostTests {
    private func model(input: Double, output: Double) -> ResolvedModel {
        ResolvedModel(publicName: "m", ollamaModel: "m:latest", inputPricePerMillion: input, outputPricePerMillion: output)
    }

    @Test(arguments: [
        (0.15, 0.60, 1_000, 500, Int64(450)),        // 150 + 300
        (2.0, 8.0, 1_000_000, 0, 2_000_000),         // a million tokens at $2/1M is $2
        (2.0, 8.0, 0, 1_000_000, 8_000_000),
        (2.5, 10.0, 1_234, 567, 8_755),              // 3085 + 5670
        (0, 0, 50_000, 50_000, 0),
        (1.0, 1.0, 0, 0, 0),
        (0.15, 0.60, 1, 0, 0),                       // 0.15 micro-dollars rounds to 0
        (0.5, 0, 3, 0, 2),                           // 1.5 rounds away from zero
        (3.0, 15.0, 200_000, 100_000, 2_100_000),
    ])
    func cost(input: Double, output: Double, prompt: Int, completion: Int, micros: Int64) {
        #expect(model(input: input, output: output).costMicros(promptTokens: prompt, completionTokens: completion) == micros)
    }

    @Test func costIsInMicroDollars() {
        let micros = model(input: 0.15, output: 0.60).costMicros(promptTokens: 2_000_000, completionTokens: 1_000_000)
        #expect(Double(micros) / 1_000_000 == 0.90, "2M input at $0.15/1M plus 1M output at $0.60/1M is $0.90")
    }
}
