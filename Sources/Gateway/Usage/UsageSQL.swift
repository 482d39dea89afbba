import Postgres

/// The statement that writes a batch of usage records, with every value bound as a parameter.
enum UsageSQL {
    static let columns = [
        "request_id", "key_id", "user_id", "dialect", "endpoint", "requested_model", "served_model", "backend", "stream",
        "status", "http_status", "error_type", "prompt_tokens", "completion_tokens", "cost_micros", "started_at", "ttft_ms",
        "duration_ms", "upstream_ms", "ollama_total_ns", "ollama_load_ns", "ollama_prompt_eval_ns", "ollama_eval_ns",
        "attempts", "queue_wait_ms", "team_id", "end_user",
    ]

    /// Columns of `request_payloads` bound per payload, in order.
    static let payloadColumns = ["request_id", "mode", "request", "response", "truncated"]

    /// One statement: insert the rows (skipping request ids already logged), then fold exactly the inserted
    /// rows into `usage_daily` (with their latency histograms), add their cost to the `spend_micros` of their
    /// key, user, team and end user (`api_keys`, `users`, `teams`, `end_users`), and store the payloads of the inserted rows that carry one.
    /// All of it happens atomically or not at all, so a replayed record is never counted twice.
    ///
    /// Parameters: the request_log columns of every record first (`$1…$27` for the first), then, only when
    /// some record carries a payload, the payload columns of those records.
    static func insert(_ records: [UsageRecord]) -> (String, [PostgresValue]) {
        var parameters: [PostgresValue] = []
        parameters.reserveCapacity(records.count * columns.count)
        var tuples: [String] = []
        tuples.reserveCapacity(records.count)
        for record in records {
            let base = parameters.count
            parameters += values(record)
            tuples.append("(" + (1...columns.count).map { "$\(base + $0)" }.joined(separator: ",") + ")")
        }
        var payloadTuples: [String] = []
        for record in records {
            guard let payload = record.payload else { continue }
            let base = parameters.count
            parameters += [.init(record.requestID), .init(payload.mode.rawValue), .init(payload.request), .init(payload.response), .init(payload.truncated)]
            payloadTuples.append("(" + (1...payloadColumns.count).map { "$\(base + $0)" }.joined(separator: ",") + ")")
        }
        let payloads =
            payloadTuples.isEmpty
            ? ""
            : """
            , payloads AS (
                INSERT INTO request_payloads (request_id, started_at, mode, request, response, truncated)
                SELECT p.request_id, i.started_at, p.mode, p.request, p.response, p.truncated::boolean
                FROM (VALUES \(payloadTuples.joined(separator: ", "))) AS p(\(payloadColumns.joined(separator: ", ")))
                JOIN inserted i ON i.request_id = p.request_id
                RETURNING 1
            )
            """
        let bounds = LatencyHistogram.sqlBounds
        let sql = """
            WITH inserted AS (
                INSERT INTO request_log (\(columns.joined(separator: ", ")))
                VALUES \(tuples.joined(separator: ", "))
                ON CONFLICT (request_id) DO NOTHING
                RETURNING request_id, started_at, key_id, coalesce(served_model, requested_model, '') AS model, status,
                          prompt_tokens, completion_tokens, cost_micros, duration_ms, ttft_ms, user_id, coalesce(backend, '') AS backend,
                          team_id, end_user
            ), daily AS (
            INSERT INTO usage_daily AS d (day, key_id, model, user_id, backend, team_id, end_user, requests, ok, failed, prompt_tokens,
                                          completion_tokens, cost_micros, duration_ms_sum, duration_hist, ttft_hist)
            SELECT (started_at AT TIME ZONE 'UTC')::date, key_id, model, coalesce(user_id, ''), backend, coalesce(team_id, ''),
                   coalesce(end_user, ''), count(*),
                   count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'),
                   sum(prompt_tokens), sum(completion_tokens), sum(cost_micros), sum(duration_ms),
                   usage_histogram(array_agg(duration_ms), \(bounds)), usage_histogram(array_agg(ttft_ms), \(bounds))
            FROM inserted
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
                FROM (SELECT key_id, sum(cost_micros) AS total FROM inserted GROUP BY key_id) s
                WHERE k.id = (CASE WHEN s.key_id ~ '^[0-9a-fA-F-]{36}$' THEN s.key_id::uuid END) AND s.total <> 0
                RETURNING 1
            ), team_spend AS (
                UPDATE teams t SET spend_micros = t.spend_micros + s.total
                FROM (SELECT team_id, sum(cost_micros) AS total FROM inserted WHERE team_id IS NOT NULL GROUP BY team_id) s
                WHERE t.team_id = s.team_id AND s.total <> 0
                RETURNING 1
            ), end_user_spend AS (
                UPDATE end_users e SET spend_micros = e.spend_micros + s.total
                FROM (SELECT end_user, sum(cost_micros) AS total FROM inserted WHERE end_user IS NOT NULL GROUP BY end_user) s
                WHERE e.user_id = s.end_user AND s.total <> 0
                RETURNING 1
            )\(payloads)
            UPDATE users u SET spend_micros = u.spend_micros + s.total
            FROM (SELECT user_id, sum(cost_micros) AS total FROM inserted WHERE user_id IS NOT NULL GROUP BY user_id) s
            WHERE u.user_id = s.user_id AND s.total <> 0
            """
        return (sql, parameters)
    }

    private static func values(_ r: UsageRecord) -> [PostgresValue] {
        [
            .init(r.requestID), .init(r.keyID), .init(r.userID), .init(r.dialect), .init(r.endpoint), .init(r.requestedModel),
            .init(r.servedModel), .init(r.backend), .init(r.stream), .init(r.outcome.rawValue), .init(r.httpStatus), .init(r.errorType),
            .init(r.promptTokens), .init(r.completionTokens), .init(r.costMicros), .init(r.startedAt), .init(r.ttftMs),
            .init(r.durationMs), .init(r.upstreamMs), .init(r.ollamaTotalNs), .init(r.ollamaLoadNs), .init(r.ollamaPromptEvalNs),
            .init(r.ollamaEvalNs), .init(r.attempts), .init(r.queueWaitMs), .init(r.teamID), .init(r.endUser),
        ]
    }
}
