/// Decoding from YAML: every key optional (defaults above), unknown keys refused so typos do not pass silently.
extension GatewayConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case server, auth, database, redis, ollama, models, usage, limits, log, responses, images, ui
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        server = try c.decodeIfPresent(Server.self, forKey: .server) ?? server
        auth = try c.decodeIfPresent(Auth.self, forKey: .auth) ?? auth
        database = try c.decodeIfPresent(Database.self, forKey: .database) ?? database
        redis = try c.decodeIfPresent(Redis.self, forKey: .redis) ?? redis
        ollama = try c.decodeIfPresent(Ollama.self, forKey: .ollama) ?? ollama
        models = try c.decodeIfPresent([ModelAlias].self, forKey: .models) ?? models
        usage = try c.decodeIfPresent(Usage.self, forKey: .usage) ?? usage
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? limits
        log = try c.decodeIfPresent(Log.self, forKey: .log) ?? log
        responses = try c.decodeIfPresent(Responses.self, forKey: .responses) ?? responses
        images = try c.decodeIfPresent(Images.self, forKey: .images) ?? images
        ui = try c.decodeIfPresent(UI.self, forKey: .ui) ?? ui
    }
}

extension GatewayConfig.Images: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case fetch_remote, max_bytes, fetch_timeout_ms, allow_hosts
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fetchRemote = try c.decodeIfPresent(Bool.self, forKey: .fetch_remote) ?? fetchRemote
        maxBytes = try c.decodeIfPresent(Int.self, forKey: .max_bytes) ?? maxBytes
        fetchTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .fetch_timeout_ms) ?? fetchTimeoutMs
        allowHosts = try c.decodeIfPresent([String].self, forKey: .allow_hosts) ?? allowHosts
    }
}

extension GatewayConfig.UI: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, session_ttl_s, max_sessions, secure_cookie, time_zone
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        sessionTTLSeconds = try c.decodeIfPresent(Int.self, forKey: .session_ttl_s) ?? sessionTTLSeconds
        maxSessions = try c.decodeIfPresent(Int.self, forKey: .max_sessions) ?? maxSessions
        secureCookie = try c.decodeIfPresent(Bool.self, forKey: .secure_cookie) ?? secureCookie
        timeZone = try c.decodeIfPresent(String.self, forKey: .time_zone) ?? timeZone
    }
}

extension GatewayConfig.Responses: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case retention_days, max_stored_bytes
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        retentionDays = try c.decodeIfPresent(Int.self, forKey: .retention_days)
        maxStoredBytes = try c.decodeIfPresent(Int.self, forKey: .max_stored_bytes) ?? maxStoredBytes
    }
}

extension GatewayConfig.Limits: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case redis_failure, default_max_tokens, reservation_ttl_s
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try c.decodeIfPresent(String.self, forKey: .redis_failure) {
            guard let value = RedisFailure(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: .redis_failure, in: c, debugDescription: "expected fail_open or fail_closed")
            }
            redisFailure = value
        }
        defaultMaxTokens = try c.decodeIfPresent(Int.self, forKey: .default_max_tokens) ?? defaultMaxTokens
        reservationTTLSeconds = try c.decodeIfPresent(Int.self, forKey: .reservation_ttl_s) ?? reservationTTLSeconds
        for key in [CodingKeys.default_max_tokens, .reservation_ttl_s] where (try c.decodeIfPresent(Int.self, forKey: key) ?? 1) <= 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be positive")
        }
    }
}

extension GatewayConfig.Server: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, max_body_bytes, shutdown_grace_s, stream_keepalive_ms, stream_head_grace_ms
        case header_timeout_s, body_timeout_s, keepalive_idle_timeout_s, max_connections
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .max_body_bytes) ?? maxBodyBytes
        shutdownGraceSeconds = try c.decodeIfPresent(Int.self, forKey: .shutdown_grace_s) ?? shutdownGraceSeconds
        streamKeepAliveMs = try c.decodeIfPresent(Int.self, forKey: .stream_keepalive_ms) ?? streamKeepAliveMs
        streamHeadGraceMs = try c.decodeIfPresent(Int.self, forKey: .stream_head_grace_ms) ?? streamHeadGraceMs
        headerTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .header_timeout_s) ?? headerTimeoutSeconds
        bodyTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .body_timeout_s) ?? bodyTimeoutSeconds
        keepAliveIdleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .keepalive_idle_timeout_s) ?? keepAliveIdleTimeoutSeconds
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .max_connections) ?? maxConnections
    }
}

extension GatewayConfig.Auth: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case master_key_env, master_key
        case key_cache_size, negative_cache_size, negative_cache_ttl_s, failed_auth_per_minute, failed_auth_tracked_addresses
        case trust_end_user_headers, end_user_cache_size
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.master_key) {
            throw DecodingError.dataCorruptedError(
                forKey: .master_key, in: c,
                debugDescription: "the master key is never written in the file; name its environment variable with master_key_env"
            )
        }
        masterKeyEnv = try c.decodeIfPresent(String.self, forKey: .master_key_env) ?? masterKeyEnv
        keyCacheSize = try c.decodeIfPresent(Int.self, forKey: .key_cache_size) ?? keyCacheSize
        negativeCacheSize = try c.decodeIfPresent(Int.self, forKey: .negative_cache_size) ?? negativeCacheSize
        negativeCacheTTLSeconds = try c.decodeIfPresent(Double.self, forKey: .negative_cache_ttl_s) ?? negativeCacheTTLSeconds
        failedAuthPerMinute = try c.decodeIfPresent(Int.self, forKey: .failed_auth_per_minute) ?? failedAuthPerMinute
        failedAuthTrackedAddresses = try c.decodeIfPresent(Int.self, forKey: .failed_auth_tracked_addresses) ?? failedAuthTrackedAddresses
        trustEndUserHeaders = try c.decodeIfPresent(Bool.self, forKey: .trust_end_user_headers) ?? trustEndUserHeaders
        endUserCacheSize = try c.decodeIfPresent(Int.self, forKey: .end_user_cache_size) ?? endUserCacheSize
    }
}

extension GatewayConfig.Database: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, pool_size, connect_timeout_s, statement_timeout_ms, pool_lease_timeout_ms
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decodeIfPresent(String.self, forKey: .url) ?? url
        poolSize = try c.decodeIfPresent(Int.self, forKey: .pool_size) ?? poolSize
        connectTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .connect_timeout_s) ?? connectTimeoutSeconds
        statementTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .statement_timeout_ms) ?? statementTimeoutMs
        poolLeaseTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .pool_lease_timeout_ms) ?? poolLeaseTimeoutMs
    }
}

extension GatewayConfig.Redis: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, max_queued_commands, command_timeout_ms
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decodeIfPresent(String.self, forKey: .url) ?? url
        maxQueuedCommands = try c.decodeIfPresent(Int.self, forKey: .max_queued_commands) ?? maxQueuedCommands
        commandTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .command_timeout_ms) ?? commandTimeoutMs
    }
}

extension GatewayConfig.Ollama: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case base_url, connect_timeout_ms, first_byte_timeout_s, stream_idle_timeout_s, request_timeout_s, expose_all_models, backends
        case max_attempts, queue_max, queue_timeout_ms, allow_pinning, discovery_interval_ms, health_interval_ms, probe_timeout_ms
        case failure_threshold, circuit_open_ms, affinity_entries
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baseURL = try c.decodeIfPresent(String.self, forKey: .base_url) ?? baseURL
        connectTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .connect_timeout_ms) ?? connectTimeoutMs
        firstByteTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .first_byte_timeout_s) ?? firstByteTimeoutSeconds
        streamIdleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .stream_idle_timeout_s) ?? streamIdleTimeoutSeconds
        requestTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .request_timeout_s) ?? requestTimeoutSeconds
        exposeAllModels = try c.decodeIfPresent(Bool.self, forKey: .expose_all_models) ?? exposeAllModels
        backends = try c.decodeIfPresent([Backend].self, forKey: .backends) ?? backends
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .max_attempts) ?? maxAttempts
        queueMax = try c.decodeIfPresent(Int.self, forKey: .queue_max) ?? queueMax
        queueTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .queue_timeout_ms) ?? queueTimeoutMs
        allowPinning = try c.decodeIfPresent(Bool.self, forKey: .allow_pinning) ?? allowPinning
        discoveryIntervalMs = try c.decodeIfPresent(Int.self, forKey: .discovery_interval_ms) ?? discoveryIntervalMs
        healthIntervalMs = try c.decodeIfPresent(Int.self, forKey: .health_interval_ms) ?? healthIntervalMs
        probeTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .probe_timeout_ms) ?? probeTimeoutMs
        failureThreshold = try c.decodeIfPresent(Int.self, forKey: .failure_threshold) ?? failureThreshold
        circuitOpenMs = try c.decodeIfPresent(Int.self, forKey: .circuit_open_ms) ?? circuitOpenMs
        affinityEntries = try c.decodeIfPresent(Int.self, forKey: .affinity_entries) ?? affinityEntries
    }
}

extension GatewayConfig.Ollama.Backend: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, url, weight, max_parallel, models, headers
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        url = try c.decode(String.self, forKey: .url)
        weight = try c.decodeIfPresent(Int.self, forKey: .weight) ?? weight
        maxParallel = try c.decodeIfPresent(Int.self, forKey: .max_parallel) ?? maxParallel
        models = try c.decodeIfPresent([String].self, forKey: .models)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? headers
    }
}

extension GatewayConfig.ModelAlias: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, ollama_model, input_price_per_1m, output_price_per_1m, backends
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        ollamaModel = try c.decode(String.self, forKey: .ollama_model)
        inputPricePerMillion = try c.decodeIfPresent(Double.self, forKey: .input_price_per_1m) ?? 0
        outputPricePerMillion = try c.decodeIfPresent(Double.self, forKey: .output_price_per_1m) ?? 0
        backends = try c.decodeIfPresent([String].self, forKey: .backends)
        for key in [CodingKeys.input_price_per_1m, .output_price_per_1m] where (try c.decodeIfPresent(Double.self, forKey: key) ?? 0) < 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "a price cannot be negative")
        }
    }
}

extension GatewayConfig.Usage: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case flush_interval_ms, batch_size, write_concurrency, journal_dir, journal_segment_bytes, journal_warn_bytes, journal_max_bytes
        case journal_full_policy, journal_fsync, journal_fsync_interval_ms
        case payload_logging, payload_max_bytes, redact_fields, retention_days, retention_interval_s
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        flushIntervalMs = try c.decodeIfPresent(Int.self, forKey: .flush_interval_ms) ?? flushIntervalMs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batch_size) ?? batchSize
        writeConcurrency = try c.decodeIfPresent(Int.self, forKey: .write_concurrency) ?? writeConcurrency
        journalDir = try c.decodeIfPresent(String.self, forKey: .journal_dir) ?? journalDir
        journalSegmentBytes = try c.decodeIfPresent(Int.self, forKey: .journal_segment_bytes) ?? journalSegmentBytes
        journalWarnBytes = try c.decodeIfPresent(Int.self, forKey: .journal_warn_bytes) ?? journalWarnBytes
        journalMaxBytes = try c.decodeIfPresent(Int.self, forKey: .journal_max_bytes) ?? journalMaxBytes
        if let text = try c.decodeIfPresent(String.self, forKey: .journal_full_policy) {
            guard let value = JournalFullPolicy(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: .journal_full_policy, in: c, debugDescription: "expected refuse or serve")
            }
            journalFullPolicy = value
        }
        if let text = try c.decodeIfPresent(String.self, forKey: .journal_fsync) {
            guard let value = JournalFsync(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: .journal_fsync, in: c, debugDescription: "expected off, interval or always")
            }
            journalFsync = value
        }
        journalFsyncIntervalMs = try c.decodeIfPresent(Int.self, forKey: .journal_fsync_interval_ms) ?? journalFsyncIntervalMs
        if let text = try c.decodeIfPresent(String.self, forKey: .payload_logging) {
            guard let value = PayloadLogging(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: .payload_logging, in: c, debugDescription: "expected off, metadata or full")
            }
            payloadLogging = value
        }
        payloadMaxBytes = try c.decodeIfPresent(Int.self, forKey: .payload_max_bytes) ?? payloadMaxBytes
        redactFields = try c.decodeIfPresent([String].self, forKey: .redact_fields) ?? redactFields
        retentionDays = try c.decodeIfPresent(Int.self, forKey: .retention_days) ?? retentionDays
        retentionIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .retention_interval_s) ?? retentionIntervalSeconds
    }
}

extension GatewayConfig.Log: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case level, format
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        level = try c.decodeIfPresent(String.self, forKey: .level) ?? level
        format = try c.decodeIfPresent(String.self, forKey: .format) ?? format
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws for the first key of the mapping that `Keys` does not name.
private func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type) throws {
    let known = Set(Keys.allCases.map(\.stringValue))
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        let expected = Keys.allCases.map(\.stringValue).joined(separator: ", ")
        throw DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath + [key], debugDescription: "unknown key '\(key.stringValue)' (expected one of: \(expected))")
        )
    }
}
