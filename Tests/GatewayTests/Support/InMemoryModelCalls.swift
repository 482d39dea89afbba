import Dialects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Locking
import NIOCore
import Testing
import Upstream
@testable import Gateway

/// In-memory versions of the model-call runner's dependencies, so routes are driven through Hummingbird's
/// router test mode with no server, Ollama, PostgreSQL or Redis.

/// One Ollama backend that answers every call with a canned response, and keeps what it was sent.
final class InMemoryBackend: ModelBackend {
    struct Sent: Sendable {
        var path: String
        var body: [UInt8]
    }

    private let answer: @Sendable (String, [UInt8]) -> UpstreamResponse
    private let sentCalls = Locked<[Sent]>([])
    let settings = Fleet.Settings(GatewayConfig.Ollama())
    let hasSeveralBackends = false

    init(answer: @escaping @Sendable (_ path: String, _ body: [UInt8]) -> UpstreamResponse) { self.answer = answer }

    /// Ollama's NDJSON for a chat answer of `words`, with 3 prompt and 4 completion tokens.
    static func chat(_ words: [String], status: Int = 200) -> InMemoryBackend {
        InMemoryBackend { _, _ in
            var lines = words.map { #"{"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"\#($0)"},"done":false}"# }
            lines.append(
                #"{"model":"m","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}"#
            )
            return .inMemory(status: status, chunks: lines.map { Array(($0 + "\n").utf8) })
        }
    }

    var sent: [Sent] { sentCalls.withLock { $0 } }

    func anyBackendHas(_ model: String) -> Bool { true }

    func acquire(_ request: FleetState.Request) async throws -> FleetLease {
        FleetLease(backend: "memory", model: request.model, queueWaitMs: nil, onRelease: { _ in })
    }

    func post(_ path: String, body: [UInt8], request: FleetState.Request, lease: FleetLease, ticket: FleetTicket) async throws
        -> UpstreamResponse
    {
        sentCalls.withLock { $0.append(Sent(path: path, body: body)) }
        return answer(path, body)
    }
}

/// Models by name: `gpt-4o-mini` is an alias of `llama3.2:latest` at $1/$2 per million tokens.
struct InMemoryModels: ModelDirectory {
    var cannotListOllama: Bool { false }

    func resolve(_ name: String) async -> ResolvedModel? {
        switch name {
        case "gpt-4o-mini": ResolvedModel(publicName: name, ollamaModel: "llama3.2:latest", inputPricePerMillion: 1, outputPricePerMillion: 2)
        case "llama3.2", "llama3.2:latest": ResolvedModel(publicName: name, ollamaModel: "llama3.2:latest", inputPricePerMillion: 0, outputPricePerMillion: 0)
        default: nil
        }
    }

    func capabilities(of ollamaModel: String) async -> Set<String>? { ["completion"] }
}

/// Admits every request, or refuses every one by its key's `rpm`.
struct InMemoryLimiter: Limiter {
    var refuses = false

    func admit(
        requestID: String, key: VirtualKey, endUser: EndUserSettings?, promptBytes: Int, maxTokens: Int?, model: ResolvedModel
    ) async throws -> AdmissionDecision {
        guard refuses else { return .admitted(nil, RateLimitHeaders()) }
        let subject = LimitSubject(scope: .key, id: key.id, policy: LimitPolicy(rpm: 1), period: nil)
        return .refused(limit: "rpm", subject: subject, retryAfterMs: 1500, RateLimitHeaders())
    }
}

/// Keeps every usage record; can refuse new requests as a full journal does.
final class InMemoryUsage: UsageSink {
    private let kept = Locked<[UsageRecord]>([])
    private let full = Locked(false)

    var records: [UsageRecord] { kept.withLock { $0 } }

    func fill(_ isFull: Bool) { full.withLock { $0 = isFull } }

    func checkAcceptsNewRequests() throws {
        if full.withLock({ $0 }) { throw GatewayError(UsageRecorder.journalFullError) }
    }

    func record(_ record: UsageRecord) async { kept.withLock { $0.append(record) } }
}

/// Virtual keys by secret, from a table (what ``KeyResolver`` finds in the cache or PostgreSQL).
struct InMemoryKeys: KeyLookup {
    var keys: [String: VirtualKey] = [:]
    let failures = FailedAuthLimiter(limit: 30, addresses: 100)

    func key(secret: String) async throws -> VirtualKey? { keys[secret] }
}

/// The whole gateway's router (``GatewayApplication/buildRouter(_:)``) over in-memory dependencies, for
/// Hummingbird's router test mode.
struct InMemoryGateway {
    static let masterKey = "master-secret"
    /// The secret of ``key``, a virtual key that may use every model.
    static let secret = "sk-test-alice"
    static let key = VirtualKey(
        id: "key-1", keyHash: "hash", display: "sk-…lice", userID: "user-7", models: [], rpmLimit: 1, spendMicros: 0, blocked: false,
        metadataJSON: "{}"
    )

    var backend = InMemoryBackend.chat(["Hel", "lo"])
    var limiter = InMemoryLimiter()
    let usage = InMemoryUsage()
    var keys = InMemoryKeys(keys: [secret: key])

    func application() -> some ApplicationProtocol {
        var config = GatewayConfig()
        config.masterKey = Self.masterKey
        let dependencies = GatewayDependencies(
            config: config, keys: keys, backend: backend, models: InMemoryModels(), limiter: limiter, usage: usage, metrics: GatewayMetrics()
        )
        return Application(router: GatewayApplication.buildRouter(dependencies))
    }

    /// The one usage record, failing the test when there is not exactly one.
    func onlyRecord(sourceLocation: SourceLocation = #_sourceLocation) -> UsageRecord? {
        let records = usage.records
        #expect(records.count == 1, "\(records.count) usage records", sourceLocation: sourceLocation)
        return records.count == 1 ? records[0] : nil
    }

    /// POSTs `json` to `path` with `key` as its bearer token (none when nil).
    static func post(_ client: some TestClientProtocol, _ path: String, _ json: String, key: String? = secret) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }
}
