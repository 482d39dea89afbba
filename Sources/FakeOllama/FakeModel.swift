/// A model the fake server pretends to have installed.
public struct FakeModel: Sendable, Equatable {
    /// Full name with tag, e.g. `llama3.2:latest`.
    public var name: String
    /// Architecture family, e.g. `llama`; also the `model_info` key prefix (`llama.context_length`).
    public var family: String
    /// Human parameter size as Ollama reports it, e.g. `3.2B`.
    public var parameterSize: String
    /// Capabilities: `completion`, `tools`, `thinking`, `vision`, `embedding`, `insert`, ...
    public var capabilities: [String]
    /// Context window in tokens (`<family>.context_length`).
    public var contextLength: Int
    /// Embedding vector length; `nil` for models that cannot embed.
    public var embeddingLength: Int?

    public init(
        name: String,
        family: String,
        parameterSize: String,
        capabilities: [String],
        contextLength: Int,
        embeddingLength: Int? = nil
    ) {
        self.name = name
        self.family = family
        self.parameterSize = parameterSize
        self.capabilities = capabilities
        self.contextLength = contextLength
        self.embeddingLength = embeddingLength
    }

    /// `llama3.2:latest` (completion, tools), `qwen3:latest` (completion, tools, thinking),
    /// `nomic-embed-text:latest` (embedding, 768 dimensions) and `llava:latest` (completion, vision).
    public static let defaults: [FakeModel] = [
        FakeModel(
            name: "llama3.2:latest", family: "llama", parameterSize: "3.2B",
            capabilities: ["completion", "tools"], contextLength: 131_072
        ),
        FakeModel(
            name: "qwen3:latest", family: "qwen3", parameterSize: "8.2B",
            capabilities: ["completion", "tools", "thinking"], contextLength: 40_960
        ),
        FakeModel(
            name: "nomic-embed-text:latest", family: "nomic-bert", parameterSize: "137M",
            capabilities: ["embedding"], contextLength: 2_048, embeddingLength: 768
        ),
        FakeModel(
            name: "llava:latest", family: "llama", parameterSize: "7B",
            capabilities: ["completion", "vision"], contextLength: 4_096
        ),
    ]

    /// The models `names` name: a default model under its own name (`qwen3` or `qwen3:latest`), any
    /// other name as a small chat model, so fleet tests can give each fake its own set.
    public static func named(_ names: [String]) -> [FakeModel] {
        names.map { name in
            let tagged = name.contains(":") ? name : name + ":latest"
            if var known = defaults.first(where: { $0.name == tagged }) {
                known.name = tagged
                return known
            }
            return FakeModel(name: tagged, family: "llama", parameterSize: "1B", capabilities: ["completion", "tools"], contextLength: 8_192)
        }
    }

    func has(_ capability: String) -> Bool { capabilities.contains(capability) }

    /// Fully qualified name as Ollama prints it in scheduler errors
    /// (`registry.ollama.ai/library/llama3.2:latest`).
    var fullName: String { ModelName(name)?.description ?? name }

    /// A stable fake digest (64 hex chars) derived from the name.
    var digest: String {
        var hash = StableHash(name)
        return (0..<4).map { _ in hash.hexWord() }.joined()
    }

    /// A plausible on-disk size in bytes.
    var size: Int64 { Int64(1_000_000_000 + Int(StableHash(name).state % 3_000_000_000)) }

    /// The `details` object used by `/api/tags`, `/api/show` and `/api/ps`.
    var detailsJSON: JSONValue {
        .obj(
            ("parent_model", .string("")),
            ("format", .string("gguf")),
            ("family", .string(family)),
            ("families", .array([.string(family)])),
            ("parameter_size", .string(parameterSize)),
            ("quantization_level", .string(has("embedding") ? "F16" : "Q4_K_M"))
        )
    }
}

/// An Ollama model name `[host/][namespace/]model[:tag]`, with Ollama's defaults
/// (`registry.ollama.ai`, `library`, `latest`). Parts compare case-insensitively.
struct ModelName: Equatable, CustomStringConvertible {
    var host: String
    var namespace: String
    var model: String
    var tag: String

    /// Parses `text`; `nil` when it is not a valid name (empty parts, too many slashes).
    init?(_ text: String) {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") { rest = rest[..<at] }
        var tag = "latest"
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty }), !tag.isEmpty else { return nil }
        self.host = parts.count == 3 ? parts[0] : "registry.ollama.ai"
        self.namespace = parts.count >= 2 ? parts[parts.count - 2] : "library"
        self.model = parts[parts.count - 1]
        self.tag = tag
    }

    var description: String { "\(host)/\(namespace)/\(model):\(tag)" }

    static func == (lhs: ModelName, rhs: ModelName) -> Bool {
        lhs.description.lowercased() == rhs.description.lowercased()
    }
}

extension [FakeModel] {
    /// Finds the installed model `name` refers to, as Ollama's `getExistingName` does.
    func lookup(_ name: String) -> FakeModel? {
        guard let wanted = ModelName(name) else { return nil }
        return first { ModelName($0.name) == wanted }
    }
}

/// FNV-1a hash feeding a splitmix64 generator: deterministic across runs and platforms
/// (unlike `Hasher`), used for digests and embedding vectors.
struct StableHash {
    private(set) var state: UInt64

    init(_ text: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        state = h
    }

    /// Next splitmix64 output.
    mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform value in [-1, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }

    /// 16 lowercase hex digits.
    mutating func hexWord() -> String {
        let s = String(next(), radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
