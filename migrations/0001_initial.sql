-- Tollgate's first schema: virtual keys, the request log and daily usage.
-- Money is integer micro-dollars, tokens are bigint, times are timestamptz.
-- Applied files are never edited: later changes come as new numbered files.

CREATE TABLE api_keys (
    id                     uuid PRIMARY KEY,
    key_hash               text NOT NULL UNIQUE,          -- hex SHA-256 of the full secret; the secret is never stored
    display                text NOT NULL,                 -- "sk-…abcd", safe to show
    alias                  text UNIQUE,
    user_id                text,
    models                 text[] NOT NULL DEFAULT '{}',  -- empty: every model
    rpm_limit              integer CHECK (rpm_limit >= 0),
    tpm_limit              bigint CHECK (tpm_limit >= 0),
    max_parallel_requests  integer CHECK (max_parallel_requests >= 0),
    max_budget_micros      bigint CHECK (max_budget_micros >= 0),
    budget_duration        text,
    budget_reset_at        timestamptz,
    spend_micros           bigint NOT NULL DEFAULT 0,
    expires_at             timestamptz,
    blocked                boolean NOT NULL DEFAULT false,
    metadata               jsonb NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX api_keys_user_id ON api_keys (user_id);

-- One row per request that reached a model route after authentication, whatever its outcome.
-- request_id is the primary key so a replayed record is inserted at most once.
CREATE TABLE request_log (
    request_id              text PRIMARY KEY,
    key_id                  text NOT NULL,                -- api_keys.id, or 'master'
    user_id                 text,
    dialect                 text NOT NULL,                -- openai | anthropic | ollama
    endpoint                text NOT NULL,                -- e.g. /v1/chat/completions
    requested_model         text,
    served_model            text,
    backend                 text,
    stream                  boolean NOT NULL,
    status                  text NOT NULL,                -- ok | client_error | upstream_error | timeout | client_closed | ...
    http_status             integer NOT NULL,
    error_type              text,
    prompt_tokens           bigint NOT NULL DEFAULT 0,
    completion_tokens       bigint NOT NULL DEFAULT 0,
    cost_micros             bigint NOT NULL DEFAULT 0,
    started_at              timestamptz NOT NULL,
    ttft_ms                 double precision,             -- time to first token as the client saw it
    duration_ms             double precision NOT NULL,    -- whole request, as the client saw it
    upstream_ms             double precision,             -- time spent waiting on Ollama
    ollama_total_ns         bigint,
    ollama_load_ns          bigint,
    ollama_prompt_eval_ns   bigint,
    ollama_eval_ns          bigint
);

CREATE INDEX request_log_key_time ON request_log (key_id, started_at DESC);
CREATE INDEX request_log_time ON request_log (started_at DESC);

-- Per day × key × model totals, derived from request_log rows as they are inserted.
CREATE TABLE usage_daily (
    day                date NOT NULL,
    key_id             text NOT NULL,
    model              text NOT NULL,
    requests           bigint NOT NULL DEFAULT 0,
    ok                 bigint NOT NULL DEFAULT 0,
    failed             bigint NOT NULL DEFAULT 0,
    prompt_tokens      bigint NOT NULL DEFAULT 0,
    completion_tokens  bigint NOT NULL DEFAULT 0,
    cost_micros        bigint NOT NULL DEFAULT 0,
    duration_ms_sum    double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (day, key_id, model)
);
