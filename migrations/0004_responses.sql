-- Stored Responses API state: a response created with `store` (OpenAI's default) is kept so that
-- `previous_response_id`, `GET /v1/responses/{id}` and `/input_items` can find it. One row per response.
-- `response` is the response object exactly as it was answered, `input_items` the whole effective input
-- (a previous response's input and output, then the new input), so continuing a conversation is one read.
-- Both are `json`, not `jsonb`: the text is kept byte for byte (member order reaches the model's prompt).
CREATE TABLE responses (
    id           text PRIMARY KEY,               -- resp_ + 32 hex digits
    key_id       text NOT NULL,                  -- api_keys.id, or 'master': a key sees only its own
    model        text NOT NULL,
    response     json NOT NULL,
    input_items  json NOT NULL,
    bytes        integer NOT NULL,               -- length of response + input_items, bounded by responses.max_stored_bytes
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Retention deletes the oldest rows first.
CREATE INDEX responses_created ON responses (created_at);
