import Dialects
import Upstream

// The seams of the model-call runner (``ModelCalls``): what it needs of the rest of the gateway, as small
// protocols. Production passes the real parts (the fleet, the catalog, admission in Redis, the usage
// recorder); router tests pass in-memory ones and drive the routes without a server, PostgreSQL or Redis.

/// Where model calls are sent: the fleet of Ollama backends.
protocol ModelBackend: Sendable {
    /// The fleet's queue and retry settings, which its refusals quote (`Retry-After`).
    var settings: Fleet.Settings { get }
    /// True when calls are spread over several backends (conversations then keep to one).
    var hasSeveralBackends: Bool { get }
    /// True when some backend lists `model` (normalized).
    func anyBackendHas(_ model: String) -> Bool
    /// A slot on a backend that can serve the request, waiting in the queue if all are busy; throws
    /// ``Fleet/Refusal`` when there is none.
    func acquire(_ request: FleetState.Request) async throws -> FleetLease
    /// Sends the call on `lease`, failing over to another backend before the answer begins.
    func post(_ path: String, body: [UInt8], request: FleetState.Request, lease: FleetLease, ticket: FleetTicket) async throws
        -> UpstreamResponse
}

/// Which models exist and what they can do: aliases, then the fleet's own names.
protocol ModelDirectory: Sendable {
    /// True when the fleet could not be listed, so an unknown name may still exist.
    var cannotListOllama: Bool { get }
    func resolve(_ name: String) async -> ResolvedModel?
    /// The model's capabilities (`thinking`, `tools`, …); nil when unknown.
    func capabilities(of ollamaModel: String) async -> Set<String>?
}

/// Checks a virtual key's limits and budget and reserves what the request may use.
protocol Limiter: Sendable {
    func admit(
        requestID: String, key: VirtualKey, endUser: EndUserSettings?, promptBytes: Int, maxTokens: Int?, model: ResolvedModel
    ) async throws -> AdmissionDecision
}

/// Where each request's one usage record goes.
protocol UsageSink: Sendable {
    /// Throws the `503 usage_journal_full` answer when new model requests may not be served.
    func checkAcceptsNewRequests() throws
    /// Takes a finished request's record (settling its limit charges); returns once it is journaled.
    func record(_ record: UsageRecord) async
}

extension Fleet: ModelBackend {}
extension ModelCatalog: ModelDirectory {}
extension Admission: Limiter {}
extension UsageRecorder: UsageSink {}
