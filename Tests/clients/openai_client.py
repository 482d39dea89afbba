"""Drives Tollgate's OpenAI-compatible API (/v1/*) through the official `openai` Python SDK.

See clientcheck.py for the environment and the output format.
"""

import json

import openai

from clientcheck import (
    CHAT_MODEL, EMBED_DIMENSIONS, EMBED_MODEL, FAKE_TEXT, TIMEOUT, TOOL_PROMPT, TOOL_RESULT, UNKNOWN_MODEL, Checks,
    environment, expect, expect_equal, expect_raises,
)

URL, KEY, DEAD_URL = environment()


def client(url=URL, key=KEY):
    # No retries: the error checks would otherwise wait through the SDK's backoff.
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=TIMEOUT)


GATEWAY = client()
MESSAGES = [{"role": "user", "content": "Say something."}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        # The SDK's `.stream()` helper only accepts strict tools.
        "strict": True,
    },
}
state = {}


def chat():
    response = GATEWAY.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
    expect_equal(response.object, "chat.completion", "object")
    expect(response.id.startswith("chatcmpl-"), f"id {response.id!r}")
    expect_equal(len(response.choices), 1, "number of choices")
    choice = response.choices[0]
    expect_equal(choice.message.role, "assistant", "message.role")
    expect(choice.message.content, "empty message.content")
    expect_equal(choice.message.content, FAKE_TEXT, "message.content")
    expect_equal(choice.finish_reason, "stop", "finish_reason")
    usage = response.usage
    expect(usage is not None, "no usage")
    expect(usage.prompt_tokens > 0 and usage.completion_tokens > 0, f"usage {usage}")
    expect_equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, "usage.total_tokens")
    state["text"] = choice.message.content
    state["usage"] = usage


def chat_stream():
    stream = GATEWAY.chat.completions.create(
        model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    expect(len(chunks) >= 3, f"only {len(chunks)} chunk(s)")
    expect(all(chunk.object == "chat.completion.chunk" for chunk in chunks), "a chunk is not a chat.completion.chunk")
    expect_equal(len({chunk.id for chunk in chunks}), 1, "distinct chunk ids")
    text = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
    expect_equal(text, state.get("text", FAKE_TEXT), "streamed text")
    reasons = [choice.finish_reason for chunk in chunks for choice in chunk.choices if choice.finish_reason]
    expect_equal(reasons, ["stop"], "finish reasons")
    last = chunks[-1]
    expect_equal(last.choices, [], "choices of the usage chunk")
    expect(last.usage is not None, "the last chunk has no usage")
    expect(last.usage.prompt_tokens > 0 and last.usage.completion_tokens > 0, f"usage {last.usage}")
    if "usage" in state:
        expect_equal(last.usage.completion_tokens, state["usage"].completion_tokens, "streamed completion_tokens")
        expect_equal(last.usage.prompt_tokens, state["usage"].prompt_tokens, "streamed prompt_tokens")
    expect(all(chunk.usage is None for chunk in chunks[:-1]), "usage on a chunk before the last")


def chat_stream_helper():
    with GATEWAY.chat.completions.stream(model=CHAT_MODEL, messages=MESSAGES) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    expect_equal("".join(deltas), FAKE_TEXT, "content.delta events")
    expect_equal(final.choices[0].message.content, FAKE_TEXT, "final completion content")
    expect_equal(final.choices[0].finish_reason, "stop", "final completion finish_reason")


def tool_call():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    response = GATEWAY.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL])
    choice = response.choices[0]
    expect_equal(choice.finish_reason, "tool_calls", "finish_reason")
    calls = choice.message.tool_calls or []
    expect_equal(len(calls), 1, "number of tool_calls")
    call = calls[0]
    expect_equal(call.type, "function", "tool call type")
    expect(call.id, "tool call without an id")
    expect_equal(call.function.name, "get_weather", "tool call name")
    arguments = json.loads(call.function.arguments)
    expect(isinstance(arguments, dict), f"arguments are not a JSON object: {call.function.arguments!r}")

    # The round trip: the assistant turn as received, then the tool's answer under its call id.
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT})
    final = GATEWAY.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL])
    expect_equal(final.choices[0].message.content, FAKE_TEXT, "final answer content")


def tool_call_stream():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    with GATEWAY.chat.completions.stream(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL]) as stream:
        done = [event for event in stream if event.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()
    expect_equal([event.name for event in done], ["get_weather"], "tool_calls.function.arguments.done events")
    expect(isinstance(done[0].parsed_arguments, dict), f"parsed_arguments {done[0].parsed_arguments!r}")
    choice = final.choices[0]
    expect_equal(choice.finish_reason, "tool_calls", "finish_reason")
    calls = choice.message.tool_calls or []
    expect_equal([call.function.name for call in calls], ["get_weather"], "assembled tool calls")
    expect(calls[0].id, "assembled tool call without an id")
    expect(isinstance(json.loads(calls[0].function.arguments), dict), f"arguments {calls[0].function.arguments!r}")

    # The same, accumulated by hand from the raw deltas by `index` (what most clients do).
    raw = GATEWAY.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL], stream=True)
    assembled = {}
    reasons = []
    for chunk in raw:
        for delta_choice in chunk.choices:
            if delta_choice.finish_reason:
                reasons.append(delta_choice.finish_reason)
            for delta in delta_choice.delta.tool_calls or []:
                entry = assembled.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = entry["id"] or delta.id
                if delta.function:
                    entry["name"] += delta.function.name or ""
                    entry["arguments"] += delta.function.arguments or ""
    expect_equal(reasons, ["tool_calls"], "raw stream finish reasons")
    expect_equal(len(assembled), 1, "tool calls by index")
    entry = next(iter(assembled.values()))
    expect(entry["id"], "raw stream tool call without an id")
    expect_equal(entry["name"], "get_weather", "raw stream tool name")
    expect(isinstance(json.loads(entry["arguments"]), dict), f"raw stream arguments {entry['arguments']!r}")


def embeddings():
    # The SDK asks for base64 unless told otherwise, and decodes it itself.
    response = GATEWAY.embeddings.create(model=EMBED_MODEL, input=["a", "b"])
    expect_equal(response.object, "list", "object")
    expect_equal([item.index for item in response.data], [0, 1], "indexes")
    for item in response.data:
        expect_equal(len(item.embedding), EMBED_DIMENSIONS, "embedding length")
        expect(all(isinstance(x, float) for x in item.embedding), "an embedding value is not a float")
    expect(response.data[0].embedding != response.data[1].embedding, "the two inputs got the same vector")
    expect(response.usage.prompt_tokens > 0, f"usage {response.usage}")
    floats = GATEWAY.embeddings.create(model=EMBED_MODEL, input="a", encoding_format="float")
    expect_equal(len(floats.data), 1, "float data length")
    difference = max(abs(x - y) for x, y in zip(floats.data[0].embedding, response.data[0].embedding))
    expect(difference < 1e-6, f"float and base64 encodings differ by {difference}")
    down = expect_raises(lambda: client(url=DEAD_URL).embeddings.create(model=EMBED_MODEL, input="a"),
                         openai.APIStatusError, "embeddings with the upstream down")
    expect(down.status_code in (502, 503, 504), f"upstream down: status_code {down.status_code}")


def models_list():
    models = GATEWAY.models.list()
    ids = [model.id for model in models]
    expect(any(model_id.split(":")[0] == CHAT_MODEL for model_id in ids), f"no {CHAT_MODEL} in {ids}")
    expect(all(model.object == "model" for model in models), "an entry is not a model object")


def models_retrieve():
    model = GATEWAY.models.retrieve(CHAT_MODEL)
    expect_equal(model.id, CHAT_MODEL, "id")
    expect_equal(model.object, "model", "object")
    error = expect_raises(lambda: GATEWAY.models.retrieve(UNKNOWN_MODEL), openai.NotFoundError, "retrieve an unknown model")
    expect_equal(error.status_code, 404, "status_code")


def error_bad_key():
    bad = client(key="sk-not-a-real-key")
    error = expect_raises(lambda: bad.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES), openai.AuthenticationError, "bad key")
    expect_equal(error.status_code, 401, "status_code")
    expect(isinstance(error.body, dict) and error.body.get("message"), f"body is not an OpenAI error object: {error.body!r}")
    expect(error.type, f"no error type in {error.body!r}")


def error_unknown_model():
    error = expect_raises(lambda: GATEWAY.chat.completions.create(model=UNKNOWN_MODEL, messages=MESSAGES),
                          openai.NotFoundError, "unknown model")
    expect_equal(error.status_code, 404, "status_code")
    expect(UNKNOWN_MODEL in (error.body or {}).get("message", ""), f"message does not name the model: {error.body!r}")
    expect_equal(error.code, "model_not_found", "code")
    streamed = expect_raises(lambda: list(GATEWAY.chat.completions.create(model=UNKNOWN_MODEL, messages=MESSAGES, stream=True)),
                             openai.NotFoundError, "unknown model, streaming")
    expect_equal(streamed.status_code, 404, "streaming status_code")


def error_upstream_down():
    dead = client(url=DEAD_URL)
    error = expect_raises(lambda: dead.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES), openai.APIStatusError, "upstream down")
    expect(error.status_code in (502, 503, 504), f"status_code {error.status_code}")
    expect(isinstance(error, openai.InternalServerError), f"{type(error).__name__} is not an InternalServerError")
    expect(isinstance(error.body, dict) and error.body.get("message"), f"body is not an OpenAI error object: {error.body!r}")
    streamed = expect_raises(lambda: list(dead.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True)),
                             openai.APIStatusError, "upstream down, streaming")
    expect(streamed.status_code in (502, 503, 504), f"streaming status_code {streamed.status_code}")


checks = Checks()
checks.run("chat", chat)
checks.run("chat_stream", chat_stream)
checks.run("chat_stream_helper", chat_stream_helper)
checks.run("tool_call", tool_call)
checks.run("tool_call_stream", tool_call_stream)
checks.run("embeddings", embeddings)
checks.run("models_list", models_list)
checks.run("models_retrieve", models_retrieve)
checks.run("error_bad_key", error_bad_key)
checks.run("error_unknown_model", error_unknown_model)
checks.run("error_upstream_down", error_upstream_down)
checks.finish()
