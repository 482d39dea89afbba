-- Teams, their members, end users ("customers" in LiteLLM's words), and the team and end user of every
-- usage row. A key may belong to one team; a request of a team key is checked against the key's, its
-- user's and its team's limits in one admission, and an end user's own limits when the end user has a
-- row in end_users.

CREATE TABLE teams (
    team_id                text PRIMARY KEY,
    team_alias             text UNIQUE,
    models                 text[] NOT NULL DEFAULT '{}',  -- empty: every model; otherwise narrows every key of the team
    rpm_limit              integer CHECK (rpm_limit >= 0),
    tpm_limit              bigint CHECK (tpm_limit >= 0),
    max_parallel_requests  integer CHECK (max_parallel_requests >= 0),
    max_budget_micros      bigint CHECK (max_budget_micros >= 0),
    budget_duration        text,
    budget_reset_at        timestamptz,
    spend_micros           bigint NOT NULL DEFAULT 0,     -- Σ cost of the usage rows charged to the team
    blocked                boolean NOT NULL DEFAULT false,
    metadata               jsonb NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Who belongs to a team, with LiteLLM's team roles. Deleting a team or a user deletes the membership.
CREATE TABLE team_members (
    team_id     text NOT NULL REFERENCES teams (team_id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);

CREATE INDEX team_members_user ON team_members (user_id);

-- A key's team. No ON DELETE: /team/delete deletes the team's keys in the same transaction, and a key can
-- never name a team that does not exist.
ALTER TABLE api_keys ADD COLUMN team_id text REFERENCES teams (team_id);
-- Whether Open WebUI's X-OpenWebUI-User-* headers name the request's end user; NULL: auth.trust_end_user_headers.
ALTER TABLE api_keys ADD COLUMN trust_end_user_headers boolean;
CREATE INDEX api_keys_team_id ON api_keys (team_id);

-- End users (LiteLLM's customers): the person behind a shared key, named by the request. A row is needed
-- only to give an end user limits, a budget or a block, or to read their spend; usage rows name every end
-- user whether or not they have a row.
CREATE TABLE end_users (
    user_id                text PRIMARY KEY,
    alias                  text,
    blocked                boolean NOT NULL DEFAULT false,
    rpm_limit              integer CHECK (rpm_limit >= 0),
    tpm_limit              bigint CHECK (tpm_limit >= 0),
    max_parallel_requests  integer CHECK (max_parallel_requests >= 0),
    max_budget_micros      bigint CHECK (max_budget_micros >= 0),
    budget_duration        text,
    spend_micros           bigint NOT NULL DEFAULT 0,
    metadata               jsonb NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- The team and end user of each usage row, as they were when the request ran.
ALTER TABLE request_log ADD COLUMN team_id text;
ALTER TABLE request_log ADD COLUMN end_user text;
CREATE INDEX request_log_team_time_id ON request_log (team_id, started_at, request_id) WHERE team_id IS NOT NULL;
CREATE INDEX request_log_end_user_time_id ON request_log (end_user, started_at, request_id) WHERE end_user IS NOT NULL;

-- usage_daily gains both dimensions ('' means none), so /usage can group and filter by them without
-- reading the request log.
ALTER TABLE usage_daily ADD COLUMN team_id text NOT NULL DEFAULT '';
ALTER TABLE usage_daily ADD COLUMN end_user text NOT NULL DEFAULT '';
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (day, key_id, model, user_id, backend, team_id, end_user);
CREATE INDEX usage_daily_team_day ON usage_daily (team_id, day) WHERE team_id <> '';
CREATE INDEX usage_daily_end_user_day ON usage_daily (end_user, day) WHERE end_user <> '';
