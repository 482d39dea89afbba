-- Ollama fleets: each usage row says how many backends were called for it (more than one after a
-- failover) and how long it waited for a backend slot; request_log.backend (already there) now holds the
-- configured name of the backend that answered. usage_daily gains the backend dimension, so /usage can
-- group_by=backend without reading the request log. '' means "no backend" (refused before any call, or a
-- row written before this migration).
ALTER TABLE request_log ADD COLUMN attempts integer;
ALTER TABLE request_log ADD COLUMN queue_wait_ms double precision;

ALTER TABLE usage_daily ADD COLUMN backend text NOT NULL DEFAULT '';
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (day, key_id, model, user_id, backend);
