"""Drives Tollgate's Ollama-native API (/api/*) through the official `ollama` Python SDK.

See clientcheck.py for the environment and the output format.
"""

from collections.abc import Mapping

import ollama

from clientcheck import (
    CHAT_MODEL, EMBED_DIMENSIONS, EMBED_MODEL, FAKE_TEXT, FAKE_THINKING, THINKING_MODEL, TIMEOUT, TOOL_PROMPT,
    TOOL_RESULT, UNKNOWN_MODEL, Checks, environment, expect, expect_equal, expect_raises,
)

URL, KEY, DEAD_URL = environment()


def client(host=URL, key=KEY):
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return ollama.Client(host=host, headers=headers, timeout=TIMEOUT)


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
        },
    },
}
state = {}


def chat():
    response = GATEWAY.chat(model=CHAT_MODEL, messages=MESSAGES, stream=False)
    expect_equal(response.message.role, "assistant", "message.role")
    expect(response.message.content, "empty message.content")
    expect_equal(response.message.content, FAKE_TEXT, "message.content")
    expect_equal(response.done, True, "done")
    expect_equal(response.done_reason, "stop", "done_reason")
    expect((response.prompt_eval_count or 0) > 0, f"prompt_eval_count {response.prompt_eval_count}")
    expect((response.eval_count or 0) > 0, f"eval_count {response.eval_count}")
    expect(response.model.startswith(CHAT_MODEL), f"model {response.model!r}")
    state["text"] = response.message.content


def chat_stream():
    chunks = list(GATEWAY.chat(model=CHAT_MODEL, messages=MESSAGES, stream=True))
    expect(len(chunks) >= 2, f"only {len(chunks)} chunk(s)")
    text = "".join(chunk.message.content or "" for chunk in chunks)
    expect_equal(text, state.get("text", FAKE_TEXT), "streamed text")
    expect(all(not chunk.done for chunk in chunks[:-1]), "a chunk before the last has done=true")
    last = chunks[-1]
    expect_equal(last.done, True, "last chunk done")
    expect_equal(last.done_reason, "stop", "last chunk done_reason")
    expect((last.eval_count or 0) > 0, f"last chunk eval_count {last.eval_count}")
    expect((last.prompt_eval_count or 0) > 0, f"last chunk prompt_eval_count {last.prompt_eval_count}")


def generate():
    response = GATEWAY.generate(model=CHAT_MODEL, prompt="Say something.", stream=False)
    expect_equal(response.response, FAKE_TEXT, "response")
    expect_equal(response.done_reason, "stop", "done_reason")
    expect((response.eval_count or 0) > 0, f"eval_count {response.eval_count}")
    streamed = "".join(chunk.response for chunk in GATEWAY.generate(model=CHAT_MODEL, prompt="Say something.", stream=True))
    expect_equal(streamed, response.response, "streamed response")


def thinking():
    response = GATEWAY.chat(model=THINKING_MODEL, messages=MESSAGES, think=True, stream=False)
    expect_equal(response.message.thinking, FAKE_THINKING, "message.thinking")
    expect_equal(response.message.content, FAKE_TEXT, "message.content")
    streamed = list(GATEWAY.chat(model=THINKING_MODEL, messages=MESSAGES, think=True, stream=True))
    expect_equal("".join(c.message.thinking or "" for c in streamed), FAKE_THINKING, "streamed thinking")
    expect_equal("".join(c.message.content or "" for c in streamed), FAKE_TEXT, "streamed content")


def tool_call():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    response = GATEWAY.chat(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL], stream=False)
    calls = response.message.tool_calls or []
    expect_equal(len(calls), 1, "number of tool_calls")
    call = calls[0]
    expect_equal(call.function.name, "get_weather", "tool call name")
    expect(isinstance(call.function.arguments, Mapping), f"arguments is {type(call.function.arguments).__name__}, not a mapping")
    expect_equal(response.done, True, "done")

    # The round trip: the assistant turn as received, then the tool's answer.
    messages.append(response.message)
    messages.append({"role": "tool", "content": TOOL_RESULT, "tool_name": call.function.name})
    final = GATEWAY.chat(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL], stream=False)
    expect_equal(final.message.content, FAKE_TEXT, "final answer content")
    expect_equal(final.done, True, "final answer done")


def tool_call_stream():
    messages = [{"role": "user", "content": TOOL_PROMPT}]
    chunks = list(GATEWAY.chat(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL], stream=True))
    calls = [call for chunk in chunks for call in (chunk.message.tool_calls or [])]
    expect_equal([call.function.name for call in calls], ["get_weather"], "streamed tool call names")
    expect(isinstance(calls[0].function.arguments, Mapping), "streamed arguments are not a mapping")
    expect_equal(chunks[-1].done, True, "last chunk done")


def embed():
    response = GATEWAY.embed(model=EMBED_MODEL, input=["a", "b"])
    vectors = response.embeddings
    expect_equal(len(vectors), 2, "number of embeddings")
    for vector in vectors:
        expect_equal(len(vector), EMBED_DIMENSIONS, "embedding length")
        expect(all(isinstance(x, float) for x in vector), "an embedding value is not a float")
    expect(vectors[0] != vectors[1], "the two inputs got the same vector")
    norm = sum(x * x for x in vectors[0]) ** 0.5
    expect(abs(norm - 1) < 1e-3, f"/api/embed vectors are normalized; norm is {norm}")
    expect((response.prompt_eval_count or 0) > 0, f"prompt_eval_count {response.prompt_eval_count}")
    single = GATEWAY.embed(model=EMBED_MODEL, input="a")
    expect_equal(single.embeddings[0], vectors[0], "the same input embeds the same")


def embeddings_legacy():
    response = GATEWAY.embeddings(model=EMBED_MODEL, prompt="a")
    expect_equal(len(response.embedding), EMBED_DIMENSIONS, "embedding length")
    expect(all(isinstance(x, float) for x in response.embedding), "an embedding value is not a float")


def list_models():
    names = [model.model for model in GATEWAY.list().models]
    for wanted in ("llama3.2:latest", "qwen3:latest", "nomic-embed-text:latest"):
        expect(wanted in names, f"{wanted} missing from list(): {names}")
    llama = next(model for model in GATEWAY.list().models if model.model == "llama3.2:latest")
    expect_equal(llama.details.family, "llama", "details.family")
    expect((llama.size or 0) > 0, f"size {llama.size}")


def show():
    response = GATEWAY.show(CHAT_MODEL)
    expect("completion" in (response.capabilities or []), f"capabilities {response.capabilities}")
    expect_equal(response.details.family, "llama", "details.family")
    info = response.modelinfo or {}
    expect((info.get("llama.context_length") or 0) > 0, f"modelinfo llama.context_length {info.get('llama.context_length')}")


def ps():
    names = [model.model for model in GATEWAY.ps().models]
    expect("llama3.2:latest" in names, f"llama3.2:latest is not running after a chat: {names}")


def error_bad_key():
    error = expect_raises(lambda: client(key="sk-not-a-real-key").chat(model=CHAT_MODEL, messages=MESSAGES), ollama.ResponseError, "bad key")
    expect_equal(error.status_code, 401, "status_code")
    expect(isinstance(error.error, str) and error.error and not error.error.lstrip().startswith("{"),
           f"error text is not Ollama's {{\"error\": \"...\"}} message: {error.error!r}")


def error_missing_key():
    error = expect_raises(lambda: client(key=None).list(), ollama.ResponseError, "no key")
    expect_equal(error.status_code, 401, "status_code")


def error_unknown_model():
    error = expect_raises(lambda: GATEWAY.chat(model=UNKNOWN_MODEL, messages=MESSAGES), ollama.ResponseError, "unknown model")
    expect_equal(error.status_code, 404, "status_code")
    expect(UNKNOWN_MODEL in error.error, f"error does not name the model: {error.error!r}")
    streamed = expect_raises(lambda: list(GATEWAY.chat(model=UNKNOWN_MODEL, messages=MESSAGES, stream=True)),
                             ollama.ResponseError, "unknown model, streaming")
    expect_equal(streamed.status_code, 404, "streaming status_code")
    shown = expect_raises(lambda: GATEWAY.show(UNKNOWN_MODEL), ollama.ResponseError, "show unknown model")
    expect_equal(shown.status_code, 404, "show status_code")


def error_upstream_down():
    dead = client(host=DEAD_URL)
    error = expect_raises(lambda: dead.chat(model=CHAT_MODEL, messages=MESSAGES), ollama.ResponseError, "upstream down")
    expect(error.status_code in (502, 503, 504), f"status_code {error.status_code}")
    expect(isinstance(error.error, str) and error.error and not error.error.lstrip().startswith("{"),
           f"error text is not Ollama's {{\"error\": \"...\"}} message: {error.error!r}")
    streamed = expect_raises(lambda: list(dead.chat(model=CHAT_MODEL, messages=MESSAGES, stream=True)),
                             ollama.ResponseError, "upstream down, streaming")
    expect(streamed.status_code in (502, 503, 504), f"streaming status_code {streamed.status_code}")


checks = Checks()
checks.run("chat", chat)
checks.run("chat_stream", chat_stream)
checks.run("generate", generate)
checks.run("thinking", thinking)
checks.run("tool_call", tool_call)
checks.run("tool_call_stream", tool_call_stream)
checks.run("embed", embed)
checks.run("embeddings_legacy", embeddings_legacy)
checks.run("list", list_models)
checks.run("show", show)
checks.run("ps", ps)
checks.run("error_bad_key", error_bad_key)
checks.run("error_missing_key", error_missing_key)
checks.run("error_unknown_model", error_unknown_model)
checks.run("error_upstream_down", error_upstream_down)
checks.finish()
