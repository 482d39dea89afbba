import Dialects
import Foundation
import Hummingbird
import Locking
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

/// Authenticates every request as one virtual key (what `KeyAuthenticator` leaves in the context).
struct InMemoryIdentity: RouterMiddleware {
    typealias Context = GatewayRequestContext
    static let key = VirtualKey(
        id: "key-1", keyHash: "hash", display: "sk-…abcd", userID: nil, models: [], rpmLimit: 1, spendMicros: 0, blocked: false, metadataJSON: "{}"
    )

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = Identity(keyID: Self.key.id, userID: nil, key: Self.key)
        return try await next(request, context)
    }
}
