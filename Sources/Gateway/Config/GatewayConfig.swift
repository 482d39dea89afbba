import Foundation
import Postgres

/// Everything Tollgate is configured with, after the YAML file and the environment are merged.
///
/// See `config/tollgate.yaml` for every key with its meaning; ``ConfigLoader`` reads the file and applies
/// the environment overrides that other tools rely on (`DATABASE_URL`, `TOLLGATE_PORT`, …).
public struct GatewayConfig: Sendable {
    public var server = Server()
    public var auth = Auth()
    public var database = Database()
    public var redis = Redis()
    public var ollama = Ollama()
    public var models: [ModelAlias] = []
    public var usage = Usage()
    public var limits = Limits()
    public var log = Log()
    public var responses = Responses()
    public var images = Images()
    public var ui = UI()
    /// The master key, read from the environment variable the config names. Never logged.
    public var masterKey = ""

    public init() {}

    public struct Server: Sendable {
        public var host = "0.0.0.0"
        public var port = 4000
        /// Request bodies above this many bytes are refused with 413.
        public var maxBodyBytes = 16 * 1024 * 1024
        /// On SIGTERM/SIGINT, how long in-flight requests and streams may take to finish.
        public var shutdownGraceSeconds = 30
        /// A stream silent this long gets a keep-alive (an SSE comment, Anthropic's `ping`).
        public var streamKeepAliveMs = 10_000
        /// How long a streamed call waits for Ollama's answer to begin before answering 200 and waiting
        /// with keep-alives (Ollama's refusals within it are still HTTP errors).
        public var streamHeadGraceMs = 2_000
        /// A request head (request line and headers) must be complete this many seconds after its first byte.
        public var headerTimeoutSeconds = 60.0
        /// A request body must be read in full this many seconds after its head.
        public var bodyTimeoutSeconds = 60.0
        /// A connection with no request in progress is closed after this many seconds without a byte.
        public var keepAliveIdleTimeoutSeconds = 60.0
        /// Connections open at once at most; further ones are closed as soon as they are accepted.
        public var maxConnections = 4096
    }

    /// Remote image URLs in chat calls: fetched by the gateway and sent to Ollama as base64.
    public struct Images: Sendable {
        /// Fetch `http(s)` image URLs; false refuses them (400).
        public var fetchRemote = true
        /// An image body larger than this is refused.
        public var maxBytes = 20 * 1024 * 1024
        /// Bound on all of one call's image fetches (resolving, connecting, redirects, body).
        public var fetchTimeoutMs = 10_000
        /// Host names, addresses or CIDR ranges fetched from even though they are private, loopback or link-local.
        public var allowHosts: [String] = []
    }

    /// The admin dashboard at `/ui` (docs/dashboard.md).
    public struct UI: Sendable {
        /// false: no `/ui` routes at all.
        public var enabled = true
        /// A session ends this long after sign-in.
        public var sessionTTLSeconds = 8 * 3600
        /// The most sessions kept (in Redis, shared by every replica); past it the oldest end.
        public var maxSessions = 1000
        /// true: the session cookie is always `Secure`; false: only when `X-Forwarded-Proto: https` says
        /// a TLS proxy is in front.
        public var secureCookie = false
        /// The IANA time zone the pages show times and chart axes in (usage days stay UTC days).
        public var timeZone = "UTC"

        var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")! }
    }

    /// Stored state of the Responses API (`POST /v1/responses` with `store`, `previous_response_id`).
    public struct Responses: Sendable {
        /// Stored responses older than this many days are deleted; nil follows `usage.retention_days`; 0 keeps them forever.
        public var retentionDays: Int?
        /// A response whose stored form (its whole input and its output) would exceed this many bytes is not
        /// stored; the answer is sent as usual and a warning is logged.
        public var maxStoredBytes = 4 * 1024 * 1024
    }

    public struct Auth: Sendable {
        /// The environment variable that holds the master key. The key itself never appears in the file.
        public var masterKeyEnv = "TOLLGATE_MASTER_KEY"
        /// Virtual keys each process keeps in memory at most (least recently used ones go first).
        public var keyCacheSize = 10_000
        /// Unknown keys remembered at most, so a repeated wrong key costs no PostgreSQL query.
        public var negativeCacheSize = 10_000
        /// How long an unknown key is remembered as unknown.
        public var negativeCacheTTLSeconds = 30.0
        /// Invalid keys one client address may present per minute before it gets 429 (0: no limit).
        public var failedAuthPerMinute = 30
        /// Client addresses whose failures are counted at once at most.
        public var failedAuthTrackedAddresses = 10_000
        /// Whether keys trust Open WebUI's `X-OpenWebUI-User-*` headers to name the end user, unless the key's
        /// own `trust_end_user_headers` says otherwise.
        public var trustEndUserHeaders = false
        /// End users' settings (`/customer/*`) cached per process at most (least recently used evicted first).
        public var endUserCacheSize = 10_000
    }

    public struct Database: Sendable {
        public var url = ""
        public var poolSize = 4
        /// libpq's `connect_timeout`: bound on opening a connection.
        public var connectTimeoutSeconds = 5
        /// PostgreSQL's `statement_timeout` on every connection: a statement running longer is cancelled; 0 for none.
        public var statementTimeoutMs = 30_000
        /// How long a call waits for a free pooled connection before failing fast (503 for a request).
        public var poolLeaseTimeoutMs = 5_000
    }

    public struct Redis: Sendable {
        public var url = ""
        /// Commands waiting for the Redis thread at most; past it a command fails at once (as if Redis were down).
        public var maxQueuedCommands = 10_000
        /// Bound on one command, queued and on the wire; past it the command fails as if Redis were down.
        public var commandTimeoutMs = 5_000
    }

    public struct Ollama: Sendable {
        public var baseURL = "http://127.0.0.1:11434"
        public var connectTimeoutMs = 2000
        public var firstByteTimeoutSeconds = 300
        /// A model call whose answer began ends with the dialect's in-stream error (logged `upstream_timeout`)
        /// when Ollama then sends nothing for this long (a wedged GPU); 0 for no bound.
        public var streamIdleTimeoutSeconds = 120
        /// Bound on a whole model call, first byte to last; 0 for none.
        public var requestTimeoutSeconds = 600
        /// Whether a request may name any model Ollama reports in `/api/tags`, besides the aliases.
        public var exposeAllModels = true
        /// The fleet of Ollama servers; empty means one backend, `default`, at ``baseURL``.
        public var backends: [Backend] = []
        /// Calls per request at most: a connect failure, timeout or 5xx before the answer began is tried
        /// on the next candidate backend.
        public var maxAttempts = 2
        /// Requests waiting for a free slot (every candidate at its `max_parallel`) at most; more get 503.
        public var queueMax = 256
        /// How long a request waits for a slot before it gets 503 with `Retry-After`.
        public var queueTimeoutMs = 30_000
        /// Whether a client may pin a backend by asking for `model@backend-name`.
        public var allowPinning = false
        /// How often each backend's `/api/tags` and `/api/ps` are read.
        public var discoveryIntervalMs = 5_000
        /// How often each backend's `/api/version` is asked (the active health check).
        public var healthIntervalMs = 1_000
        /// The bound on each discovery or health call (a refused connection fails at once; this bounds a hung one).
        public var probeTimeoutMs = 10_000
        /// Consecutive failures (active or passive) that open a backend's circuit.
        public var failureThreshold = 2
        /// How long an open circuit keeps a backend out before a probe may close it.
        public var circuitOpenMs = 2_000
        /// Conversations remembered for session affinity (least recently used forgotten first).
        public var affinityEntries = 10_000

        /// One Ollama server of the fleet.
        public struct Backend: Sendable, Equatable {
            /// Its name in logs, metrics, the usage log and `model@name` pins.
            public var name: String
            public var url: String
            /// Preference among otherwise equal backends (higher first).
            public var weight = 1
            /// Calls it is given at once at most (match its `OLLAMA_NUM_PARALLEL`); more wait in the queue.
            public var maxParallel = 4
            /// When set, only these models are sent to it (and listed from it).
            public var models: [String]?
            /// Headers sent with every call to it (authentication for an Ollama behind a proxy). Never logged.
            public var headers: [String: String] = [:]

            public init(name: String, url: String, weight: Int = 1, maxParallel: Int = 4, models: [String]? = nil, headers: [String: String] = [:]) {
                self.name = name
                self.url = url
                self.weight = weight
                self.maxParallel = maxParallel
                self.models = models
                self.headers = headers
            }
        }

        /// The backends in force: ``backends``, or a fleet of one at ``baseURL`` (allowed as many calls at
        /// once as the queue holds, so a single Ollama queues as it did before fleets).
        public var fleet: [Backend] {
            backends.isEmpty ? [Backend(name: "default", url: baseURL, maxParallel: 64)] : backends
        }
    }

    /// A public model name and the Ollama model that serves it, with optional prices.
    public struct ModelAlias: Sendable, Equatable {
        public var name: String
        public var ollamaModel: String
        /// US dollars per million input (prompt) tokens.
        public var inputPricePerMillion: Double
        /// US dollars per million output (completion) tokens.
        public var outputPricePerMillion: Double
        /// When set, only these backends serve the alias.
        public var backends: [String]? = nil

        public init(name: String, ollamaModel: String, inputPricePerMillion: Double = 0, outputPricePerMillion: Double = 0) {
            self.name = name
            self.ollamaModel = ollamaModel
            self.inputPricePerMillion = inputPricePerMillion
            self.outputPricePerMillion = outputPricePerMillion
        }
    }

    public struct Usage: Sendable {
        /// How often queued usage records are written to PostgreSQL.
        public var flushIntervalMs = 200
        /// Records per batch (one transaction) at most.
        public var batchSize = 4000
        /// Batches written to PostgreSQL at the same time, each on its own connection (of `database.pool_size`).
        public var writeConcurrency = 2
        /// The usage journal's directory: every record is appended here before it is queued for PostgreSQL,
        /// and replayed from here after a crash. One directory per gateway instance (it is locked).
        /// Relative paths are relative to the working directory; `TOLLGATE_DATA_DIR` sets `<dir>/journal`.
        public var journalDir = "./data/journal"
        /// A segment file is closed at this size; it is deleted once all its records are in PostgreSQL.
        public var journalSegmentBytes = 16 << 20
        /// Above this many bytes waiting in the journal, a warning is logged (once per crossing).
        public var journalWarnBytes = 256 << 20
        /// The journal's bound: above it, ``journalFullPolicy`` applies.
        public var journalMaxBytes = 1 << 30
        /// What happens to new model requests while the journal is over ``journalMaxBytes``.
        public var journalFullPolicy = JournalFullPolicy.refuse
        /// When journaled records are forced to the disk (they reach the kernel at once in every mode).
        public var journalFsync = JournalFsync.interval
        /// How often `interval` syncs.
        public var journalFsyncIntervalMs = 1000

        /// The journal is over its bound (PostgreSQL has been unreachable for long): never drop usage, but
        /// either stop taking work or keep serving past the bound.
        public enum JournalFullPolicy: String, Sendable {
            /// New model requests are answered 503 `usage_journal_full` until the journal drains below the bound.
            case refuse
            /// Requests are served and journaled past the bound; errors are logged and a gauge is set.
            case serve
        }

        /// How durable a journaled record is. A record is in the kernel when the request's last byte is sent,
        /// so a crash of the process (even SIGKILL) never loses it; these modes are about power loss.
        public enum JournalFsync: String, Sendable {
            /// Never force: the kernel writes back within its own delay (about 30 s on Linux).
            case off
            /// `fdatasync` every ``journalFsyncIntervalMs`` off the request path: a power loss loses at most that long.
            case interval
            /// `fdatasync` after every record, on the request path: nothing is lost, each request waits for the disk.
            case always
        }

        /// How much of each request is kept in `request_payloads` (see `PayloadPolicy`).
        public enum PayloadLogging: String, Sendable {
            /// Nothing (the default).
            case off
            /// Request parameters and the conversation's shape, never message text.
            case metadata
            /// The request body and the answer, redacted and capped.
            case full
        }
        public var payloadLogging = PayloadLogging.off
        /// Each stored request or answer is cut (and marked) above this many bytes.
        public var payloadMaxBytes = 64 * 1024
        /// Field names redacted from payloads besides the built-in ones (api_key, authorization, *token, …).
        public var redactFields: [String] = []
        /// Request log rows and payloads older than this many days are deleted; 0 keeps them forever.
        /// `usage_daily` aggregates are always kept.
        public var retentionDays = 0
        /// How often the retention pass runs.
        public var retentionIntervalSeconds = 3600
    }

    public struct Limits: Sendable {
        /// What admission does when Redis cannot be reached.
        public enum RedisFailure: String, Sendable {
            /// An in-process limiter (same limits, per process) takes over.
            case failOpen = "fail_open"
            /// Limited keys are refused with 503 until Redis is back.
            case failClosed = "fail_closed"
        }
        public var redisFailure = RedisFailure.failOpen
        /// Completion tokens reserved for a request that does not set `max_tokens`.
        public var defaultMaxTokens = 256
        /// How long a parallel slot or a budget reservation is held at most if its gateway never settles it.
        public var reservationTTLSeconds = 900
    }

    public struct Log: Sendable {
        public var level = "info"
        public var format = "text"
    }
}

extension GatewayConfig.Database {
    /// The pool's settings: size and every deadline.
    var poolConfiguration: PostgresPool.Configuration {
        PostgresPool.Configuration(
            url: url, maxConnections: poolSize, connectTimeout: .seconds(connectTimeoutSeconds),
            statementTimeout: statementTimeoutMs > 0 ? .milliseconds(statementTimeoutMs) : nil,
            leaseTimeout: .milliseconds(poolLeaseTimeoutMs)
        )
    }
}
