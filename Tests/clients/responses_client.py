"""Drives Tollgate's Responses API (/v1/responses) through the official `openai` SDK and the OpenAI
Agents SDK (`openai-agents`), whose default model speaks the Responses API.

See clientcheck.py for the environment and the output format. The SDK runs with strict response
validation, so a missing required field fails the check instead of surfacing later as a None.
"""

import asyncio
import json

import openai

from clientcheck import (
    CHAT_MODEL, FAKE_TEXT, FAKE_THINKING, THINKING_MODEL, TIMEOUT, TOOL_PROMPT, TOOL_RESULT, UNKNOWN_MODEL, Checks,
    environment, expect, expect_equal, expect_raises,
)

URL, KEY, DEAD_URL = environment()


def client(url=URL, key=KEY):
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=TIMEOUT,
                         _strict_response_validation=True)


GATEWAY = client()
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def create():
    response = GATEWAY.responses.create(model=CHAT_MODEL, input="Say something.", instructions="Be brief.")
    expect_equal(response.object, "response", "object")
    expect(response.id.startswith("resp_"), f"id {response.id!r}")
    expect_equal(response.status, "completed", "status")
    expect_equal(response.output_text, FAKE_TEXT, "output_text")
    expect_equal(response.instructions, "Be brief.", "instructions echoed")
    usage = response.usage
    expect(usage.input_tokens > 0 and usage.output_tokens == 5, f"usage {usage}")
    expect_equal(usage.total_tokens, usage.input_tokens + usage.output_tokens, "total_tokens")


def create_stream():
    types = []
    text = []
    completed = None
    with GATEWAY.responses.create(model=CHAT_MODEL, input="Say something.", stream=True) as stream:
        for event in stream:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            if event.type == "response.completed":
                completed = event.response
    expect_equal(types[0], "response.created", "first event")
    expect_equal(types[-1], "response.completed", "last event")
    expect_equal("".join(text), FAKE_TEXT, "deltas")
    expect(completed is not None and completed.output_text == FAKE_TEXT, "completed response")


def stream_helper():
    # The SDK's accumulating helper asserts indexes and needs response.completed for the final response.
    with GATEWAY.responses.stream(model=THINKING_MODEL, input="Think, then answer.") as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    expect_equal([item.type for item in final.output], ["reasoning", "message"], "output items")
    expect_equal(final.output[0].summary[0].text, FAKE_THINKING, "reasoning summary")
    expect_equal(final.output_text, FAKE_TEXT, "output_text")
    expect(final.usage.output_tokens_details.reasoning_tokens > 0, f"reasoning tokens {final.usage}")


def previous_response():
    first = GATEWAY.responses.create(model=CHAT_MODEL, input="My name is Ada.")
    expect_equal(first.store, True, "store echoed")
    second = GATEWAY.responses.create(model=CHAT_MODEL, input="What is my name?", previous_response_id=first.id)
    expect_equal(second.previous_response_id, first.id, "previous_response_id echoed")
    expect_equal(second.output_text, FAKE_TEXT, "second answer")
    fetched = GATEWAY.responses.retrieve(second.id)
    expect_equal(fetched.id, second.id, "retrieved id")
    items = list(GATEWAY.responses.input_items.list(second.id, order="asc"))
    expect_equal([getattr(item, "role", None) for item in items], ["user", "assistant", "user"], "input item roles")
    GATEWAY.responses.delete(second.id)
    error = expect_raises(lambda: GATEWAY.responses.retrieve(second.id), openai.NotFoundError, "retrieve after delete")
    expect_equal(error.status_code, 404, "status")


def tool_round_trip():
    tools = [WEATHER_TOOL]
    first = GATEWAY.responses.create(model=CHAT_MODEL, input=TOOL_PROMPT, tools=tools, store=False)
    calls = [item for item in first.output if item.type == "function_call"]
    expect_equal(len(calls), 1, "function calls")
    call = calls[0]
    expect_equal(call.name, "get_weather", "call name")
    expect(call.call_id, "call_id")
    json.loads(call.arguments)  # strict tools: the arguments are valid JSON
    history = [{"role": "user", "content": TOOL_PROMPT}] + [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": TOOL_RESULT})
    second = GATEWAY.responses.create(model=CHAT_MODEL, input=history, tools=tools, store=False)
    expect_equal(second.output_text, FAKE_TEXT, "answer after the tool result")


def tool_stream():
    with GATEWAY.responses.stream(model=CHAT_MODEL, input=TOOL_PROMPT, tools=[WEATHER_TOOL]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    expect_equal([item.type for item in final.output], ["message", "function_call"], "text then call")
    expect_equal(final.output[1].name, "get_weather", "call name")


def structured_output():
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    response = GATEWAY.responses.create(
        model=CHAT_MODEL, input="Answer in JSON.", store=False,
        text={"format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}},
    )
    expect_equal(response.text.format.type, "json_schema", "text.format echoed")
    expect_equal(response.output_text, FAKE_TEXT, "output_text")


def error_unknown_model():
    error = expect_raises(lambda: GATEWAY.responses.create(model=UNKNOWN_MODEL, input="x"), openai.NotFoundError, "unknown model")
    expect_equal(error.code, "model_not_found", "code")


def error_hosted_tool():
    error = expect_raises(
        lambda: GATEWAY.responses.create(model=CHAT_MODEL, input="x", tools=[{"type": "file_search", "vector_store_ids": ["vs_1"]}]),
        openai.BadRequestError, "hosted tool",
    )
    expect_equal(error.param, "tools[0].type", "param")


def error_previous_not_found():
    error = expect_raises(
        lambda: GATEWAY.responses.create(model=CHAT_MODEL, input="x", previous_response_id="resp_nope"),
        openai.BadRequestError, "unknown previous_response_id",
    )
    expect_equal(error.code, "previous_response_not_found", "code")


def agents_default_model():
    # The Agents SDK's default model provider: the Responses API, at the client we give it.
    from agents import Agent, Runner, function_tool, set_default_openai_client, set_tracing_disabled
    from agents.models import get_default_model

    set_tracing_disabled(True)
    set_default_openai_client(openai.AsyncOpenAI(base_url=URL + "/v1", api_key=KEY, max_retries=0, timeout=TIMEOUT))

    @function_tool
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        return TOOL_RESULT

    agent = Agent(name="weather", instructions="Use the tools.", tools=[get_weather])
    expect(agent.model is None, "the agent uses the SDK's default model")
    result = asyncio.run(Runner.run(agent, TOOL_PROMPT, max_turns=4))
    expect_equal(result.final_output, FAKE_TEXT, "final output")
    kinds = [item.type for item in result.new_items]
    expect("tool_call_item" in kinds and "tool_call_output_item" in kinds, f"items {kinds}")
    print(f"  (agents default model: {get_default_model()})", flush=True)


checks = Checks()
checks.run("create", create)
checks.run("create_stream", create_stream)
checks.run("stream_helper", stream_helper)
checks.run("previous_response", previous_response)
checks.run("tool_round_trip", tool_round_trip)
checks.run("tool_stream", tool_stream)
checks.run("structured_output", structured_output)
checks.run("error_unknown_model", error_unknown_model)
checks.run("error_hosted_tool", error_hosted_tool)
checks.run("error_previous_not_found", error_previous_not_found)
checks.run("agents_default_model", agents_default_model)
checks.finish()
