import Foundation
import Yams

/// Checks values the types alone cannot (ranges, URL schemes), reporting the file position of the value
/// at fault, or the environment variable when that is where the value came from.
struct ConfigValidator {
    let root: Node?
    let path: String
    let environment: [String: String]

    func validate(_ config: GatewayConfig) throws {
        try check((1...65535).contains(config.server.port), "server.port must be from 1 to 65535", ["server", "port"], env: "TOLLGATE_PORT")
        try check(config.server.maxBodyBytes >= 1024, "server.max_body_bytes must be at least 1024", ["server", "max_body_bytes"], env: "TOLLGATE_MAX_BODY_BYTES")
        try check(
            (0...3600).contains(config.server.shutdownGraceSeconds), "server.shutdown_grace_s must be from 0 to 3600",
            ["server", "shutdown_grace_s"], env: "TOLLGATE_SHUTDOWN_GRACE_S"
        )
        try check(
            (50...600_000).contains(config.server.streamKeepAliveMs), "server.stream_keepalive_ms must be from 50 to 600000",
            ["server", "stream_keepalive_ms"], env: nil
        )
        try check(
            (0...600_000).contains(config.server.streamHeadGraceMs), "server.stream_head_grace_ms must be from 0 to 600000",
            ["server", "stream_head_grace_ms"], env: nil
        )
        try validateClientLimits(config)
        try check(!config.database.url.isEmpty, "no PostgreSQL URL: set database.url or DATABASE_URL", ["database", "url"], env: "DATABASE_URL")
        try check(
            config.database.url.hasPrefix("postgres://") || config.database.url.hasPrefix("postgresql://"),
            "the PostgreSQL URL must start with postgresql://", ["database", "url"], env: "DATABASE_URL"
        )
        try check((1...64).contains(config.database.poolSize), "database.pool_size must be from 1 to 64", ["database", "pool_size"], env: nil)
        try check(!config.redis.url.isEmpty, "no Redis URL: set redis.url or REDIS_URL", ["redis", "url"], env: "REDIS_URL")
        try check(config.redis.url.hasPrefix("redis://"), "the Redis URL must start with redis://", ["redis", "url"], env: "REDIS_URL")
        try check(
            config.ollama.baseURL.hasPrefix("http://") || config.ollama.baseURL.hasPrefix("https://"),
            "ollama.base_url must start with http:// or https://", ["ollama", "base_url"], env: "OLLAMA_BASE_URL"
        )
        try check(config.ollama.connectTimeoutMs > 0, "ollama.connect_timeout_ms must be positive", ["ollama", "connect_timeout_ms"], env: "TOLLGATE_UPSTREAM_CONNECT_TIMEOUT_MS")
        try check(config.ollama.firstByteTimeoutSeconds > 0, "ollama.first_byte_timeout_s must be positive", ["ollama", "first_byte_timeout_s"], env: "TOLLGATE_UPSTREAM_FIRST_BYTE_TIMEOUT_S")
        try check(
            (0...86400).contains(config.ollama.streamIdleTimeoutSeconds), "ollama.stream_idle_timeout_s must be from 0 (no bound) to 86400",
            ["ollama", "stream_idle_timeout_s"], env: nil
        )
        try check(
            (0...86400).contains(config.ollama.requestTimeoutSeconds), "ollama.request_timeout_s must be from 0 (no bound) to 86400",
            ["ollama", "request_timeout_s"], env: nil
        )
        try check(
            (1...600).contains(config.database.connectTimeoutSeconds), "database.connect_timeout_s must be from 1 to 600",
            ["database", "connect_timeout_s"], env: nil
        )
        try check(
            (0...86_400_000).contains(config.database.statementTimeoutMs), "database.statement_timeout_ms must be from 0 (no bound) to 86400000",
            ["database", "statement_timeout_ms"], env: nil
        )
        try check(
            (1...600_000).contains(config.database.poolLeaseTimeoutMs), "database.pool_lease_timeout_ms must be from 1 to 600000",
            ["database", "pool_lease_timeout_ms"], env: nil
        )
        try check(
            (1...1_000_000).contains(config.redis.maxQueuedCommands), "redis.max_queued_commands must be from 1 to 1000000",
            ["redis", "max_queued_commands"], env: nil
        )
        try check(
            (1...600_000).contains(config.redis.commandTimeoutMs), "redis.command_timeout_ms must be from 1 to 600000",
            ["redis", "command_timeout_ms"], env: nil
        )
        try check(["text", "json"].contains(config.log.format), "log.format must be text or json", ["log", "format"], env: "TOLLGATE_LOG_FORMAT")
        try check(config.usage.batchSize >= 1 && config.usage.batchSize <= 10000, "usage.batch_size must be from 1 to 10000", ["usage", "batch_size"], env: nil)
        try check(
            (1...16).contains(config.usage.writeConcurrency), "usage.write_concurrency must be from 1 to 16", ["usage", "write_concurrency"], env: nil
        )
        try check(config.usage.flushIntervalMs >= 10, "usage.flush_interval_ms must be at least 10", ["usage", "flush_interval_ms"], env: nil)
        try validateJournal(config.usage)
        try check(
            (1024...(16 << 20)).contains(config.usage.payloadMaxBytes), "usage.payload_max_bytes must be from 1024 to 16777216",
            ["usage", "payload_max_bytes"], env: nil
        )
        try check(config.usage.redactFields.allSatisfy { !$0.isEmpty }, "usage.redact_fields must not hold empty names", ["usage", "redact_fields"], env: nil)
        try check((0...36500).contains(config.usage.retentionDays), "usage.retention_days must be from 0 (keep forever) to 36500", ["usage", "retention_days"], env: nil)
        try check(
            (1...86400).contains(config.usage.retentionIntervalSeconds), "usage.retention_interval_s must be from 1 to 86400",
            ["usage", "retention_interval_s"], env: nil
        )
        try check(
            (0...36500).contains(config.responses.retentionDays ?? 0), "responses.retention_days must be from 0 (keep forever) to 36500",
            ["responses", "retention_days"], env: nil
        )
        try check(
            (1024...(64 << 20)).contains(config.responses.maxStoredBytes), "responses.max_stored_bytes must be from 1024 to 67108864",
            ["responses", "max_stored_bytes"], env: nil
        )
        try check(
            (60...(30 * 86_400)).contains(config.ui.sessionTTLSeconds), "ui.session_ttl_s must be from 60 to 2592000", ["ui", "session_ttl_s"], env: nil
        )
        try check((1...1_000_000).contains(config.ui.maxSessions), "ui.max_sessions must be from 1 to 1000000", ["ui", "max_sessions"], env: nil)
        try check(
            TimeZone(identifier: config.ui.timeZone) != nil, "ui.time_zone must be an IANA time zone such as UTC or Europe/Berlin",
            ["ui", "time_zone"], env: nil
        )
        try check(
            (1...(256 << 20)).contains(config.images.maxBytes), "images.max_bytes must be from 1 to 268435456", ["images", "max_bytes"], env: nil
        )
        try check(
            (1...600_000).contains(config.images.fetchTimeoutMs), "images.fetch_timeout_ms must be from 1 to 600000",
            ["images", "fetch_timeout_ms"], env: nil
        )
        for (index, entry) in config.images.allowHosts.enumerated() {
            try check(
                ImageAddressPolicy.isValidEntry(entry), "images.allow_hosts[\(index)]: '\(entry)' is not a host name, address or CIDR range",
                ["images", "allow_hosts", index], env: nil
            )
        }
        try validateFleet(config.ollama)
        let backendNames = Set(config.ollama.fleet.map(\.name))
        var seen = Set<String>()
        for (index, alias) in config.models.enumerated() {
            try check(!alias.name.isEmpty && !alias.ollamaModel.isEmpty, "models[\(index)]: name and ollama_model must not be empty", ["models", index], env: nil)
            try check(seen.insert(alias.name).inserted, "models[\(index)]: the name '\(alias.name)' is used twice", ["models", index, "name"], env: nil)
            for name in alias.backends ?? [] {
                try check(backendNames.contains(name), "models[\(index)].backends: no backend is named '\(name)'", ["models", index, "backends"], env: nil)
            }
        }
    }

    private func validateFleet(_ ollama: GatewayConfig.Ollama) throws {
        var names = Set<String>()
        for (index, backend) in ollama.backends.enumerated() {
            let at: [any ConfigPathComponent] = ["ollama", "backends", index]
            try check(
                !backend.name.isEmpty && backend.name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } && backend.name.count <= 64,
                "ollama.backends[\(index)].name must be 1 to 64 letters, digits, '-', '_' or '.'", at + ["name"], env: "OLLAMA_BASE_URLS"
            )
            try check(names.insert(backend.name).inserted, "ollama.backends[\(index)]: the name '\(backend.name)' is used twice", at + ["name"], env: nil)
            try check(
                backend.url.hasPrefix("http://") || backend.url.hasPrefix("https://"),
                "ollama.backends[\(index)].url must start with http:// or https://", at + ["url"], env: "OLLAMA_BASE_URLS"
            )
            try check((1...1000).contains(backend.weight), "ollama.backends[\(index)].weight must be from 1 to 1000", at + ["weight"], env: nil)
            try check((1...1024).contains(backend.maxParallel), "ollama.backends[\(index)].max_parallel must be from 1 to 1024", at + ["max_parallel"], env: nil)
        }
        try check(ollama.backends.count <= 64, "ollama.backends holds 64 backends at most", ["ollama", "backends"], env: "OLLAMA_BASE_URLS")
        try check((1...10).contains(ollama.maxAttempts), "ollama.max_attempts must be from 1 to 10", ["ollama", "max_attempts"], env: nil)
        try check((0...100_000).contains(ollama.queueMax), "ollama.queue_max must be from 0 to 100000", ["ollama", "queue_max"], env: nil)
        try check((1...3_600_000).contains(ollama.queueTimeoutMs), "ollama.queue_timeout_ms must be from 1 to 3600000", ["ollama", "queue_timeout_ms"], env: nil)
        try check((100...3_600_000).contains(ollama.discoveryIntervalMs), "ollama.discovery_interval_ms must be from 100 to 3600000", ["ollama", "discovery_interval_ms"], env: nil)
        try check((100...600_000).contains(ollama.healthIntervalMs), "ollama.health_interval_ms must be from 100 to 600000", ["ollama", "health_interval_ms"], env: nil)
        try check((50...60_000).contains(ollama.probeTimeoutMs), "ollama.probe_timeout_ms must be from 50 to 60000", ["ollama", "probe_timeout_ms"], env: nil)
        try check((1...100).contains(ollama.failureThreshold), "ollama.failure_threshold must be from 1 to 100", ["ollama", "failure_threshold"], env: nil)
        try check((100...600_000).contains(ollama.circuitOpenMs), "ollama.circuit_open_ms must be from 100 to 600000", ["ollama", "circuit_open_ms"], env: nil)
        try check((1...1_000_000).contains(ollama.affinityEntries), "ollama.affinity_entries must be from 1 to 1000000", ["ollama", "affinity_entries"], env: nil)
    }

    private func validateJournal(_ usage: GatewayConfig.Usage) throws {
        try check(!usage.journalDir.isEmpty, "usage.journal_dir must not be empty", ["usage", "journal_dir"], env: "TOLLGATE_DATA_DIR")
        try check(
            (4096...(1 << 30)).contains(usage.journalSegmentBytes), "usage.journal_segment_bytes must be from 4096 to 1073741824",
            ["usage", "journal_segment_bytes"], env: nil
        )
        try check(
            usage.journalMaxBytes >= usage.journalSegmentBytes, "usage.journal_max_bytes must be at least usage.journal_segment_bytes",
            ["usage", "journal_max_bytes"], env: nil
        )
        try check(
            usage.journalWarnBytes > 0 && usage.journalWarnBytes <= usage.journalMaxBytes,
            "usage.journal_warn_bytes must be positive and at most usage.journal_max_bytes", ["usage", "journal_warn_bytes"], env: nil
        )
        try check(
            usage.journalFsyncIntervalMs >= 10, "usage.journal_fsync_interval_ms must be at least 10", ["usage", "journal_fsync_interval_ms"],
            env: nil
        )
    }

    /// Throws `message` at the position of `keys` when `condition` is false. A value set by `env`
    /// (when that variable is set) is blamed on the variable instead.
    /// The deadlines and caps that protect the gateway from its clients (`server.*_timeout_s`, caches, limiter).
    private func validateClientLimits(_ config: GatewayConfig) throws {
        for (value, key) in [
            (config.server.headerTimeoutSeconds, "header_timeout_s"), (config.server.bodyTimeoutSeconds, "body_timeout_s"),
            (config.server.keepAliveIdleTimeoutSeconds, "keepalive_idle_timeout_s"),
        ] {
            try check(value > 0 && value <= 3600, "server.\(key) must be above 0 and at most 3600", ["server", key], env: nil)
        }
        try check(config.server.maxConnections >= 1, "server.max_connections must be at least 1", ["server", "max_connections"], env: nil)
        for (value, key) in [
            (config.auth.keyCacheSize, "key_cache_size"), (config.auth.negativeCacheSize, "negative_cache_size"),
            (config.auth.failedAuthTrackedAddresses, "failed_auth_tracked_addresses"), (config.auth.endUserCacheSize, "end_user_cache_size"),
        ] {
            try check((1...10_000_000).contains(value), "auth.\(key) must be from 1 to 10000000", ["auth", key], env: nil)
        }
        try check(
            config.auth.negativeCacheTTLSeconds > 0 && config.auth.negativeCacheTTLSeconds <= 3600,
            "auth.negative_cache_ttl_s must be above 0 and at most 3600", ["auth", "negative_cache_ttl_s"], env: nil
        )
        try check(config.auth.failedAuthPerMinute >= 0, "auth.failed_auth_per_minute must not be negative", ["auth", "failed_auth_per_minute"], env: nil)
    }

    private func check(_ condition: Bool, _ message: String, _ keys: [any ConfigPathComponent], env: String?) throws {
        guard !condition else { return }
        if let env, let value = environment[env], !value.isEmpty {
            throw ConfigError(source: env, message: message)
        }
        let mark = root.flatMap { Self.mark(in: $0, at: keys.map(\.codingKey)) }
        throw ConfigError(source: path, line: mark?.line, column: mark?.column, message: message)
    }

    /// The position of the node at `codingPath`, or of its nearest existing parent. With
    /// `pointingAtKey`, the position of the last component's key rather than its value.
    static func mark(in root: Node, at codingPath: [any CodingKey], pointingAtKey: Bool = false) -> Mark? {
        var node = root
        var mark = root.mark
        for (position, key) in codingPath.enumerated() {
            if let index = key.intValue {
                guard let sequence = node.sequence, sequence.indices.contains(index) else { break }
                node = sequence[index]
            } else {
                guard let mapping = node.mapping, let entry = mapping.first(where: { $0.key.string == key.stringValue }) else { break }
                if pointingAtKey && position == codingPath.count - 1 { return entry.key.mark ?? mark }
                node = entry.value
            }
            mark = node.mark ?? mark
        }
        return mark
    }
}

protocol ConfigPathComponent {
    var codingKey: any CodingKey { get }
}

private struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension String: ConfigPathComponent {
    var codingKey: any CodingKey { PathKey(stringValue: self) }
}

extension Int: ConfigPathComponent {
    var codingKey: any CodingKey { PathKey(intValue: self) }
}
