-- wrk script for bench/run.sh: POSTs one chat request per call.
--
-- Usage: wrk ... -s bench/chat.lua URL -- DIALECT STREAM [KEY]
--   DIALECT: native     -> Ollama's /api/chat body (direct to the fake, or through nginx)
--            openai     -> OpenAI's /v1/chat/completions body (through Tollgate)
--            anthropic  -> Anthropic's /v1/messages body (through Tollgate)
--   STREAM:  stream | nostream
--   KEY:     the key to send (Tollgate's benchmark key, with every limit set); the fake and
--            nginx ignore it.
-- The URL carries the path (/api/chat, /v1/chat/completions or /v1/messages).

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-master-key"

local messages = '"messages":[{"role":"user","content":"hello"}]'

-- Called once per wrk thread with the arguments after "--"; wrk builds the request after it.
function init(args)
  local dialect = args[1] or "native"
  local stream = tostring((args[2] or "nostream") == "stream")
  local key = args[3]
  if key and key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end
  if dialect == "anthropic" then
    wrk.headers["anthropic-version"] = "2023-06-01"
    if key and key ~= "" then wrk.headers["x-api-key"] = key end
    wrk.body = '{"model":"llama3.2","max_tokens":256,' .. messages .. ',"stream":' .. stream .. '}'
  else
    -- The OpenAI and native bodies are the same bytes.
    wrk.body = '{"model":"llama3.2",' .. messages .. ',"stream":' .. stream .. '}'
  end
end
