"""Drives Tollgate's Anthropic Messages API (/v1/messages*) through the official `anthropic` Python SDK.

See clientcheck.py for the environment and the output format. Anthropic has no embeddings API.
"""

import anthropic

from clientcheck import (
    CHAT_MODEL, FAKE_TEXT, FAKE_THINKING, THINKING_MODEL, TIMEOUT, TOOL_PROMPT, TOOL_RESULT, UNKNOWN_MODEL, Checks,
    environment, expect, expect_equal, expect_raises,
)

URL, KEY, DEAD_URL = environment()


def client(url=URL, key=KEY, bearer=False):
    # No retries: the error checks would otherwise wait through the SDK's backoff.
    if bearer:
        return anthropic.Anthropic(base_url=url, auth_token=key, max_retries=0, timeout=TIMEOUT)
    return anthropic.Anthropic(base_url=url, api_key=key, max_retries=0, timeout=TIMEOUT)


GATEWAY = client()
MESSAGES = [{"role": "user", "content": "Say something."}]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"],
    },
}
state = {}


def check_text_message(message, what):
    expect_equal(message.type, "message", f"{what} type")
    expect_equal(message.role, "assistant", f"{what} role")
    expect(message.id.startswith("msg_"), f"{what} id {message.id!r}")
    expect_equal([block.type for block in message.content], ["text"], f"{what} content block types")
    expect(message.content[0].text, f"{what}: empty text")
    expect_equal(message.content[0].text, FAKE_TEXT, f"{what} text")
    expect_equal(message.stop_reason, "end_turn", f"{what} stop_reason")
    expect(message.usage.input_tokens > 0 and message.usage.output_tokens > 0, f"{what} usage {message.usage}")


def messages():
    message = GATEWAY.messages.create(model=CHAT_MODEL, max_tokens=256, messages=MESSAGES)
    check_text_message(message, "message")
    expect_equal(message.model, CHAT_MODEL, "model")
    state["text"] = message.content[0].text
    state["usage"] = message.usage


def messages_bearer():
    message = client(bearer=True).messages.create(model=CHAT_MODEL, max_tokens=256, messages=MESSAGES)
    check_text_message(message, "message (Bearer auth)")


def messages_system():
    message = GATEWAY.messages.create(
        model=CHAT_MODEL, max_tokens=256, messages=MESSAGES,
        system=[{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Answer in English."}],
    )
    check_text_message(message, "message with system blocks")
    if "usage" in state:
        expect(message.usage.input_tokens > state["usage"].input_tokens,
               f"the system prompt did not add input tokens: {message.usage.input_tokens} vs {state['usage'].input_tokens}")


def stream():
    with GATEWAY.messages.stream(model=CHAT_MODEL, max_tokens=256, messages=MESSAGES) as events:
        text = "".join(events.text_stream)
        final = events.get_final_message()
    expect_equal(text, state.get("text", FAKE_TEXT), "text_stream")
    check_text_message(final, "final message")
    if "usage" in state:
        expect_equal(final.usage.output_tokens, state["usage"].output_tokens, "streamed output_tokens")
        expect_equal(final.usage.input_tokens, state["usage"].input_tokens, "streamed input_tokens")


def stream_events():
    # The raw server-sent events, in the order the SDK's accumulator requires.
    events = list(GATEWAY.messages.create(model=CHAT_MODEL, max_tokens=256, messages=MESSAGES, stream=True))
    types = [event.type for event in events if event.type != "ping"]
    expect(types[0] == "message_start" and types[-1] == "message_stop", f"event order {types}")
    expect_equal(types[-2], "message_delta", "event before message_stop")
    starts = [event.index for event in events if event.type == "content_block_start"]
    stops = [event.index for event in events if event.type == "content_block_stop"]
    expect_equal(starts, list(range(len(starts))), "content_block_start indexes")
    expect_equal(stops, starts, "content_block_stop indexes")
    delta = next(event for event in events if event.type == "message_delta")
    expect_equal(delta.delta.stop_reason, "end_turn", "message_delta stop_reason")
    expect(delta.usage.output_tokens > 0, f"message_delta usage {delta.usage}")


def tool_use():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    message = GATEWAY.messages.create(model=CHAT_MODEL, max_tokens=256, messages=messages, tools=[WEATHER_TOOL])
    expect_equal(message.stop_reason, "tool_use", "stop_reason")
    uses = [block for block in message.content if block.type == "tool_use"]
    expect_equal(len(uses), 1, "number of tool_use blocks")
    use = uses[0]
    expect(use.id, "tool_use without an id")
    expect_equal(use.name, "get_weather", "tool_use name")
    expect(isinstance(use.input, dict), f"tool_use input is {type(use.input).__name__}, not a dict")

    # The round trip: the assistant turn as received, then a user turn carrying the tool_result.
    messages.append({"role": "assistant", "content": message.content})
    messages.append({
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": use.id, "content": TOOL_RESULT}],
    })
    final = GATEWAY.messages.create(model=CHAT_MODEL, max_tokens=256, messages=messages, tools=[WEATHER_TOOL])
    texts = [block.text for block in final.content if block.type == "text"]
    expect_equal("".join(texts), FAKE_TEXT, "final answer text")


def tool_use_stream():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    with GATEWAY.messages.stream(model=CHAT_MODEL, max_tokens=256, messages=messages, tools=[WEATHER_TOOL]) as events:
        final = events.get_final_message()
    expect_equal(final.stop_reason, "tool_use", "stop_reason")
    uses = [block for block in final.content if block.type == "tool_use"]
    expect_equal([use.name for use in uses], ["get_weather"], "streamed tool_use blocks")
    expect(uses[0].id, "streamed tool_use without an id")
    expect(isinstance(uses[0].input, dict), f"streamed tool_use input {uses[0].input!r}")


def thinking():
    thinking_on = {"type": "enabled", "budget_tokens": 1024}
    message = GATEWAY.messages.create(model=THINKING_MODEL, max_tokens=2048, messages=MESSAGES, thinking=thinking_on)
    expect_equal([block.type for block in message.content], ["thinking", "text"], "content block types")
    expect_equal(message.content[0].thinking, FAKE_THINKING, "thinking")
    expect_equal(message.content[1].text, FAKE_TEXT, "text")
    expect_equal(message.stop_reason, "end_turn", "stop_reason")

    with GATEWAY.messages.stream(model=THINKING_MODEL, max_tokens=2048, messages=MESSAGES, thinking=thinking_on) as events:
        thoughts = "".join(event.thinking for event in events if event.type == "thinking")
        final = events.get_final_message()
    expect_equal(thoughts, FAKE_THINKING, "thinking events")
    expect_equal([block.type for block in final.content], ["thinking", "text"], "streamed content block types")
    expect_equal(final.content[0].thinking, FAKE_THINKING, "streamed thinking")
    expect_equal(final.content[1].text, FAKE_TEXT, "streamed text")


def count_tokens():
    counted = GATEWAY.messages.count_tokens(model=CHAT_MODEL, messages=MESSAGES)
    expect(counted.input_tokens > 0, f"input_tokens {counted.input_tokens}")
    longer = GATEWAY.messages.count_tokens(
        model=CHAT_MODEL, messages=MESSAGES, system="You are a helpful assistant who answers briefly.", tools=[WEATHER_TOOL]
    )
    expect(longer.input_tokens > counted.input_tokens, f"system and tools did not count: {longer.input_tokens} vs {counted.input_tokens}")


def models_list():
    models = list(GATEWAY.models.list())
    ids = [model.id for model in models]
    expect(any(model_id.split(":")[0] == CHAT_MODEL for model_id in ids), f"no {CHAT_MODEL} in {ids}")
    expect(all(model.type == "model" for model in models), "an entry is not of type model")
    expect(all(model.display_name for model in models), "an entry without display_name")


def check_error_body(error, error_type, what):
    body = error.body
    expect(isinstance(body, dict) and body.get("type") == "error", f"{what}: body is not an Anthropic error: {body!r}")
    inner = body.get("error") or {}
    expect_equal(inner.get("type"), error_type, f"{what} error.type")
    expect(inner.get("message"), f"{what}: error without a message: {body!r}")


def error_bad_key():
    for bearer in (False, True):
        bad = client(key="sk-not-a-real-key", bearer=bearer)
        what = "bad key (Bearer)" if bearer else "bad key (x-api-key)"
        error = expect_raises(lambda: bad.messages.create(model=CHAT_MODEL, max_tokens=64, messages=MESSAGES),
                              anthropic.AuthenticationError, what)
        expect_equal(error.status_code, 401, f"{what} status_code")
        check_error_body(error, "authentication_error", what)


def error_unknown_model():
    error = expect_raises(lambda: GATEWAY.messages.create(model=UNKNOWN_MODEL, max_tokens=64, messages=MESSAGES),
                          anthropic.NotFoundError, "unknown model")
    expect_equal(error.status_code, 404, "status_code")
    check_error_body(error, "not_found_error", "unknown model")
    expect(UNKNOWN_MODEL in error.body["error"]["message"], f"message does not name the model: {error.body!r}")
    def stream_unknown():
        with GATEWAY.messages.stream(model=UNKNOWN_MODEL, max_tokens=64, messages=MESSAGES) as events:
            return events.get_final_message()

    streamed = expect_raises(stream_unknown, anthropic.NotFoundError, "unknown model, streaming")
    expect_equal(streamed.status_code, 404, "streaming status_code")


def error_upstream_down():
    dead = client(url=DEAD_URL)
    error = expect_raises(lambda: dead.messages.create(model=CHAT_MODEL, max_tokens=64, messages=MESSAGES),
                          anthropic.APIStatusError, "upstream down")
    expect(error.status_code in (502, 503, 504, 529), f"status_code {error.status_code}")
    expect(isinstance(error, anthropic.InternalServerError), f"{type(error).__name__} is not an InternalServerError")
    body = error.body
    expect(isinstance(body, dict) and body.get("type") == "error" and (body.get("error") or {}).get("message"),
           f"body is not an Anthropic error: {body!r}")


checks = Checks()
checks.run("messages", messages)
checks.run("messages_bearer", messages_bearer)
checks.run("messages_system", messages_system)
checks.run("stream", stream)
checks.run("stream_events", stream_events)
checks.run("tool_use", tool_use)
checks.run("tool_use_stream", tool_use_stream)
checks.run("thinking", thinking)
checks.run("count_tokens", count_tokens)
checks.run("models_list", models_list)
checks.run("error_bad_key", error_bad_key)
checks.run("error_unknown_model", error_unknown_model)
checks.run("error_upstream_down", error_upstream_down)
checks.finish()
