import Postgres

/// How a batch of usage records is written: streamed with `COPY` into a per-connection staging table, then
/// moved into `request_log` and folded into the aggregates by one statement, inside one transaction.
///
/// `COPY` keeps the cost per record low (no statement with thousands of parameters to parse and plan), and
/// the statements after it are fixed. Values are never spliced into SQL text: they travel as `COPY` data.
/// Several writers (``UsageRecorder``'s, or other gateways') insert into `request_log` at the same time;
/// only the fold into the aggregates takes turns (``lockFold``).
enum UsageSQL {
    static let columns = [
        "request_id", "key_id", "user_id", "dialect", "endpoint", "requested_model", "served_model", "backend", "stream",
        "status", "http_status", "error_type", "prompt_tokens", "completion_tokens", "cost_micros", "started_at", "ttft_ms",
        "duration_ms", "upstream_ms", "ollama_total_ns", "ollama_load_ns", "ollama_prompt_eval_ns", "ollama_eval_ns",
        "attempts", "queue_wait_ms", "team_id", "end_user",
    ]

    /// The staging table's columns for a record's payload (all NULL when it has none).
    static let payloadColumns = ["payload_mode", "payload_request", "payload_response", "payload_truncated"]

    /// Creates the session's staging table, once per connection: `request_log`'s columns plus the payload's.
    /// `ON COMMIT DELETE ROWS`, so each batch's transaction finds it empty and leaves it empty.
    static let createStaging = """
        CREATE TEMP TABLE usage_staging (LIKE request_log, payload_mode text, payload_request text, payload_response text,
                                         payload_truncated boolean) ON COMMIT DELETE ROWS
        """

    /// Streams a batch into the staging table (text format; the rows come from ``stagingRows(_:)``).
    static let copyIntoStaging = "COPY pg_temp.usage_staging (\((columns + payloadColumns).joined(separator: ", "))) FROM STDIN"

    /// The batch's rows for ``copyIntoStaging``: every column of ``columns``, then ``payloadColumns``.
    static func stagingRows(_ records: [UsageRecord]) -> PostgresCopyRows {
        var rows = PostgresCopyRows(reservingCapacity: records.count * 320)
        for r in records {
            rows.append(r.requestID)
            rows.append(r.keyID)
            rows.append(r.userID)
            rows.append(r.dialect)
            rows.append(r.endpoint)
            rows.append(r.requestedModel)
            rows.append(r.servedModel)
            rows.append(r.backend)
            rows.append(r.stream)
            rows.append(r.outcome.rawValue)
            rows.append(r.httpStatus)
            rows.append(r.errorType)
            rows.append(r.promptTokens)
            rows.append(r.completionTokens)
            rows.append(r.costMicros)
            rows.append(r.startedAt)
            rows.append(r.ttftMs)
            rows.append(r.durationMs)
            rows.append(r.upstreamMs)
            rows.append(r.ollamaTotalNs)
            rows.append(r.ollamaLoadNs)
            rows.append(r.ollamaPromptEvalNs)
            rows.append(r.ollamaEvalNs)
            rows.append(r.attempts)
            rows.append(r.queueWaitMs)
            rows.append(r.teamID)
            rows.append(r.endUser)
            rows.append(r.payload?.mode.rawValue)
            rows.append(r.payload?.request)
            rows.append(r.payload?.response)
            rows.append(r.payload?.truncated)
            rows.endRow()
        }
        return rows
    }

    /// The columns of the rows ``insertStaged(payloads:)`` inserted, as the fold reads them.
    static let createInserted = """
        CREATE TEMP TABLE usage_inserted (request_id text, started_at timestamptz, key_id text, model text, status text,
                                          prompt_tokens bigint, completion_tokens bigint, cost_micros bigint, duration_ms double precision,
                                          ttft_ms double precision, user_id text, backend text, team_id text, end_user text)
            ON COMMIT DELETE ROWS
        """

    /// Moves the staged rows into `request_log`, skipping request ids already logged, and keeps the rows it
    /// inserted in `usage_inserted` for the fold; with `payloads` (some staged record carries one), stores
    /// the payloads of the inserted rows too. Writers run this part concurrently.
    static func insertStaged(payloads: Bool) -> String { payloads ? insertWithPayloads : insertWithoutPayloads }

    private static let insertWithPayloads = insert(payloads: true)
    private static let insertWithoutPayloads = insert(payloads: false)

    private static func insert(payloads: Bool) -> String {
        let list = columns.joined(separator: ", ")
        let payloadStep = """
            , payloads AS (
                -- DISTINCT ON: a request id staged twice in one batch is inserted once, and so is its payload.
                INSERT INTO request_payloads (request_id, started_at, mode, request, response, truncated)
                SELECT DISTINCT ON (s.request_id) s.request_id, i.started_at, s.payload_mode, s.payload_request, s.payload_response,
                       coalesce(s.payload_truncated, false)
                FROM pg_temp.usage_staging s
                JOIN inserted i ON i.request_id = s.request_id
                WHERE s.payload_mode IS NOT NULL
                RETURNING 1
            )
            """
        return """
            WITH inserted AS (
                INSERT INTO request_log (\(list))
                SELECT \(list) FROM pg_temp.usage_staging
                ON CONFLICT (request_id) DO NOTHING
                RETURNING request_id, started_at, key_id, coalesce(served_model, requested_model, '') AS model, status,
                          prompt_tokens, completion_tokens, cost_micros, duration_ms, ttft_ms, user_id, coalesce(backend, '') AS backend,
                          team_id, end_user
            )\(payloads ? payloadStep : "")
            INSERT INTO pg_temp.usage_inserted SELECT * FROM inserted
            """
    }

    /// The transaction-scoped advisory lock every writer of every gateway takes before ``fold``, held until its
    /// commit: folds take their row locks (`usage_daily`, the spend columns) one writer at a time, so
    /// concurrent writers wait in turn instead of deadlocking on rows they lock in different orders.
    /// The key is an arbitrary constant of Tollgate's.
    static let lockFold = "SELECT pg_advisory_xact_lock(7461726165313)"

    /// Folds exactly the rows this batch inserted (`usage_inserted`) into `usage_daily` (with their latency
    /// histograms) and adds their cost to the `spend_micros` of their key, user, team and end user
    /// (`api_keys`, `users`, `teams`, `end_users`). No parameters: every value arrived through the `COPY`.
    static let fold = """
            WITH daily AS (
            INSERT INTO usage_daily AS d (day, key_id, model, user_id, backend, team_id, end_user, requests, ok, failed, prompt_tokens,
                                          completion_tokens, cost_micros, duration_ms_sum, duration_hist, ttft_hist)
            SELECT (started_at AT TIME ZONE 'UTC')::date, key_id, model, coalesce(user_id, ''), backend, coalesce(team_id, ''),
                   coalesce(end_user, ''), count(*),
                   count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'),
                   sum(prompt_tokens), sum(completion_tokens), sum(cost_micros), sum(duration_ms),
                   usage_histogram(array_agg(duration_ms), \(LatencyHistogram.sqlBounds)), usage_histogram(array_agg(ttft_ms), \(LatencyHistogram.sqlBounds))
            FROM pg_temp.usage_inserted AS inserted
            GROUP BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (day, key_id, model, user_id, backend, team_id, end_user) DO UPDATE SET
                requests = d.requests + EXCLUDED.requests,
                ok = d.ok + EXCLUDED.ok,
                failed = d.failed + EXCLUDED.failed,
                prompt_tokens = d.prompt_tokens + EXCLUDED.prompt_tokens,
                completion_tokens = d.completion_tokens + EXCLUDED.completion_tokens,
                cost_micros = d.cost_micros + EXCLUDED.cost_micros,
                duration_ms_sum = d.duration_ms_sum + EXCLUDED.duration_ms_sum,
                duration_hist = usage_hist_add(d.duration_hist, EXCLUDED.duration_hist),
                ttft_hist = usage_hist_add(d.ttft_hist, EXCLUDED.ttft_hist)
            RETURNING 1
            ), key_spend AS (
                UPDATE api_keys k SET spend_micros = k.spend_micros + s.total
                FROM (SELECT key_id, sum(cost_micros) AS total FROM pg_temp.usage_inserted AS inserted GROUP BY key_id) s
                WHERE k.id = (CASE WHEN s.key_id ~ '^[0-9a-fA-F-]{36}$' THEN s.key_id::uuid END) AND s.total <> 0
                RETURNING 1
            ), team_spend AS (
                UPDATE teams t SET spend_micros = t.spend_micros + s.total
                FROM (SELECT team_id, sum(cost_micros) AS total FROM pg_temp.usage_inserted AS inserted WHERE team_id IS NOT NULL GROUP BY team_id) s
                WHERE t.team_id = s.team_id AND s.total <> 0
                RETURNING 1
            ), end_user_spend AS (
                UPDATE end_users e SET spend_micros = e.spend_micros + s.total
                FROM (SELECT end_user, sum(cost_micros) AS total FROM pg_temp.usage_inserted AS inserted WHERE end_user IS NOT NULL GROUP BY end_user) s
                WHERE e.user_id = s.end_user AND s.total <> 0
                RETURNING 1
            )
            UPDATE users u SET spend_micros = u.spend_micros + s.total
            FROM (SELECT user_id, sum(cost_micros) AS total FROM pg_temp.usage_inserted AS inserted WHERE user_id IS NOT NULL GROUP BY user_id) s
            WHERE u.user_id = s.user_id AND s.total <> 0
            """

    /// Writes a batch in one transaction on one connection, so either all of it is counted or none of it:
    /// stage it with `COPY`, move it into `request_log` (``insertStaged(payloads:)``), then, under
    /// ``lockFold``, fold what was inserted (``fold``).
    static func write(_ records: [UsageRecord], to pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            let rows = stagingRows(records)
            let payloads = records.contains { $0.payload != nil }
            try connection.once("usage_staging") { try $0.query(createStaging) }
            try connection.once("usage_inserted") { try $0.query(createInserted) }
            try connection.transaction { connection in
                try connection.copy(copyIntoStaging, rows)
                try connection.query(insertStaged(payloads: payloads))
                try connection.query(lockFold)
                try connection.query(fold)
            }
        }
    }
}
