-- Users who own keys, each with an optional budget and limits spanning all their keys,
-- and the audit log of every admin change.

CREATE TABLE users (
    user_id                text PRIMARY KEY,
    user_alias             text,
    user_email             text,
    models                 text[] NOT NULL DEFAULT '{}',  -- empty: every model
    rpm_limit              integer CHECK (rpm_limit >= 0),
    tpm_limit              bigint CHECK (tpm_limit >= 0),
    max_parallel_requests  integer CHECK (max_parallel_requests >= 0),
    max_budget_micros      bigint CHECK (max_budget_micros >= 0),
    budget_duration        text,
    budget_reset_at        timestamptz,
    spend_micros           bigint NOT NULL DEFAULT 0,
    metadata               jsonb NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_keys ADD COLUMN created_by text;
ALTER TABLE api_keys ADD COLUMN last_regenerated_at timestamptz;

-- Who changed what, when, from what to what. Secrets are never written here: keys appear by hash.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,                -- 'master' (later: an admin key's id)
    action       text NOT NULL,                -- key.generate, key.update, key.block, user.new, ...
    target_type  text NOT NULL,                -- key | user
    target_id    text NOT NULL,                -- key hash or user id
    before_value jsonb,
    after_value  jsonb
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at DESC);
