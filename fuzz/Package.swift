// swift-tools-version: 6.1
// libFuzzer targets for every decoder that reads bytes from a client or from Ollama. A package of its
// own so that the sanitized build (`-sanitize=fuzzer,address`) compiles the Dialects module and nothing
// else of Tollgate's. Build and run them with `scripts/fuzz.sh`; docs/fuzzing.md explains each target.
import PackageDescription

/// One executable per decoder; each defines `LLVMFuzzerTestOneInput`, and libFuzzer supplies `main`.
let decoderTargets = [
    "FuzzJSONParser",
    "FuzzLineSplitter",
    "FuzzOpenAIChatRequest",
    "FuzzOpenAICompletionRequest",
    "FuzzOpenAIEmbeddingRequest",
    "FuzzAnthropicMessagesRequest",
    "FuzzOllamaNativeRequest",
    "FuzzNativeChunk",
    // One more decoder is one more name here, a folder Sources/<Name>/main.swift calling
    // `fuzzDecoder`, and a seed folder corpus/<Name>/ (e.g. FuzzResponsesRequest for the OpenAI
    // Responses decoder; docs/fuzzing.md, "Adding a target").
]

let package = Package(
    name: "TollgateFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Tollgate", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Dialects", package: "Tollgate")])
    ]
        + decoderTargets.map { name in
            .executableTarget(
                name: name,
                dependencies: ["FuzzSupport", .product(name: "Dialects", package: "Tollgate")]
            )
        }
)
