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
    }

    public struct Auth: Sendable {
        /// The environment variable that holds the master key. The key itself never appears in the file.
        public var masterKeyEnv = "TOLLGATE_MASTER_KEY"
    }

    public struct Database: Sendable {
        public var url = ""
        public var poolSize = 4
    }

    public struct Redis: Sendable {
        public var url = ""
    }

    public struct Ollama: Sendable {
        public var baseURL = "http://127.0.0.1:11434"
        public var connectTimeoutMs = 2000
        public var firstByteTimeoutSeconds = 300
        /// Whether a request may name any model Ollama reports in `/api/tags`, besides the aliases.
        public var exposeAllModels = true
    }

    /// A public model name and the Ollama model that serves it, with optional prices.
    public struct ModelAlias: Sendable, Equatable {
        public var name: String
        public var ollamaModel: String
        /// US dollars per million input (prompt) tokens.
        public var inputPricePerMillion: Double
        /// US dollars per million output (completion) tokens.
        public var outputPricePerMillion: Double

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
        /// Records per INSERT at most.
        public var batchSize = 500

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
