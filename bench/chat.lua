-- wrk script for bench/run.sh: POSTs one chat request per call.
--
-- Usage: wrk ... -s bench/chat.lua URL -- DIALECT STREAM
--   DIALECT: native  -> Ollama's /api/chat body (direct to the fake, or through nginx)
--            openai  -> OpenAI's /v1/chat/completions body (through Tollgate)
--   STREAM:  stream | nostream
-- The URL carries the path (/api/chat or /v1/chat/completions).

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- Tollgate checks it; the fake and nginx ignore it.
wrk.headers["Authorization"] = "Bearer bench-master-key"

local messages = '"messages":[{"role":"user","content":"hello"}]'

-- Called once per wrk thread with the arguments after "--"; wrk builds the request after it.
function init(args)
  local dialect = args[1] or "native"
  -- Optional third argument: the key to send (Tollgate's benchmark key, with limits).
  if args[3] and args[3] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  end
  local stream = (args[2] or "nostream") == "stream"
  if dialect == "openai" then
    if stream then
      wrk.body = '{"model":"llama3.2",' .. messages .. ',"stream":true}'
    else
      wrk.body = '{"model":"llama3.2",' .. messages .. '}'
    end
  else
    wrk.body = '{"model":"llama3.2",' .. messages .. ',"stream":' .. tostring(stream) .. '}'
  end
end
