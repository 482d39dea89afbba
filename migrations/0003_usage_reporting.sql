-- Usage reporting: usage_daily gains the user dimension and latency histograms, request_log gets the
-- indexes the usage API's filters and cursor need, and request_payloads holds optional payload logs.

-- A key's owner can change, so the user is part of usage_daily's key: a day's usage stays with the
-- user who owned the key when the request ran. '' means "no user" (a primary key cannot hold NULL).
-- Rows written before this migration keep user '' and empty histograms: their totals stay right,
-- they have no percentiles.
ALTER TABLE usage_daily ADD COLUMN user_id text NOT NULL DEFAULT '';
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (day, key_id, model, user_id);

-- Latency histograms: counts per fixed log-spaced bucket (boundaries are defined once, in Swift:
-- LatencyHistogram.bounds; three buckets per doubling from 1 ms to ~11 min, 60 counts).
ALTER TABLE usage_daily ADD COLUMN duration_hist bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE usage_daily ADD COLUMN ttft_hist bigint[] NOT NULL DEFAULT '{}';

CREATE INDEX usage_daily_key_day ON usage_daily (key_id, day);
CREATE INDEX usage_daily_user_day ON usage_daily (user_id, day);

-- Counts of `samples` per bucket: element 1 counts the samples below bounds[1], element i+1 those in
-- [bounds[i], bounds[i+1]), the last those from the last bound up. NULL samples are skipped.
CREATE FUNCTION usage_histogram(samples double precision[], bounds double precision[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(coalesce(c.n, 0) ORDER BY b.i)
    FROM generate_series(0, cardinality(bounds)) AS b(i)
    LEFT JOIN (
        SELECT width_bucket(s, bounds) AS i, count(*) AS n FROM unnest(samples) AS s WHERE s IS NOT NULL GROUP BY 1
    ) c ON c.i = b.i
$$;

-- Element-wise sum of two histograms; a shorter (or NULL) one counts as zeros.
CREATE FUNCTION usage_hist_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
    FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

-- For ad-hoc SQL: SELECT usage_hist_sum(duration_hist) FROM usage_daily WHERE ...
-- (the API sums histograms with one sum() per bucket instead, which is faster on many rows).
CREATE AGGREGATE usage_hist_sum(bigint[]) (SFUNC = usage_hist_add, STYPE = bigint[], INITCOND = '{}');

-- request_log: the usage API pages newest first by (started_at, request_id), optionally for one key or
-- one user. These replace the (key_id, started_at) and (started_at) indexes of 0001, which they cover.
DROP INDEX request_log_key_time;
DROP INDEX request_log_time;
CREATE INDEX request_log_time_id ON request_log (started_at, request_id);
CREATE INDEX request_log_key_time_id ON request_log (key_id, started_at, request_id);
CREATE INDEX request_log_user_time_id ON request_log (user_id, started_at, request_id) WHERE user_id IS NOT NULL;

-- Optional payload logs (usage.payload_logging), one row per logged request, written in the same
-- statement as the request_log row and deleted with it by retention. Text, not jsonb: a payload cut
-- at usage.payload_max_bytes is no longer valid JSON.
CREATE TABLE request_payloads (
    request_id  text PRIMARY KEY,                 -- request_log.request_id
    started_at  timestamptz NOT NULL,             -- copied from request_log, for retention
    mode        text NOT NULL,                    -- metadata | full
    request     text,                             -- JSON (full mode: the redacted body, maybe cut)
    response    text,                             -- JSON (full mode: the redacted answer, maybe cut)
    truncated   boolean NOT NULL DEFAULT false
);

CREATE INDEX request_payloads_time ON request_payloads (started_at);
