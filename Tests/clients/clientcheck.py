"""Shared plumbing for the SDK client checks in this directory.

Each script drives a running Tollgate through one official Python SDK. It reads:

  TOLLGATE_URL       base URL of a gateway in front of the fake Ollama (no trailing slash)
  TOLLGATE_KEY       a virtual key that may use every model
  TOLLGATE_DEAD_URL  base URL of a gateway whose Ollama is down

and prints one line per check, `ok <name>` or `FAIL <name>: <reason>`, then exits 1 if any
check failed. Tests/IntegrationTests/SDKClientTests.swift runs the scripts and also checks
that every expected name printed `ok`. For debugging, TOLLGATE_CHECK_TRACEBACKS=1 prints the
traceback of each failure and TOLLGATE_CHECK_TIMES=1 each check's duration (both on stderr).

The fake Ollama (Sources/FakeOllama) is deterministic: a reply is five `"word "` chunks; a
thinking model (`qwen3`) first thinks "Let me think about this."; a chat request with `tools`
whose last user message contains "call a tool" also gets one call of the first tool, with
arguments `{}` ("call a tool NAME with {...}" picks the tool and its arguments).
"""

import os
import sys
import time
import traceback

# The text every plain reply of the fake Ollama has.
FAKE_TEXT = "word " * 5
FAKE_THINKING = "Let me think about this."

# Models the fake Ollama has installed.
CHAT_MODEL = "llama3.2"
THINKING_MODEL = "qwen3"
EMBED_MODEL = "nomic-embed-text"
EMBED_DIMENSIONS = 768
UNKNOWN_MODEL = "no-such-model-xyz"

# The prompt that makes the fake answer with a tool call (when the request has tools).
TOOL_PROMPT = "What is the weather in Paris? Please call a tool."
TOOL_RESULT = '{"city": "Paris", "temperature_c": 18, "sky": "cloudy"}'

# Seconds any single SDK call may take.
TIMEOUT = 30.0


def environment():
    """(url, key, dead_url) from the environment; exits 2 when one is missing."""
    values = []
    for name in ("TOLLGATE_URL", "TOLLGATE_KEY", "TOLLGATE_DEAD_URL"):
        value = os.environ.get(name, "").strip()
        if not value:
            print(f"FAIL setup: {name} is not set", flush=True)
            sys.exit(2)
        values.append(value.rstrip("/"))
    # Credentials SDKs would pick up on their own must not leak into the checks.
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN",
                 "ANTHROPIC_BASE_URL", "OLLAMA_HOST", "OLLAMA_API_KEY"):
        os.environ.pop(name, None)
    return tuple(values)


class CheckFailed(Exception):
    pass


def expect(condition, message):
    """Fails the current check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def expect_equal(actual, expected, what):
    expect(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def expect_raises(call, error_type, what):
    """Runs `call`; returns the exception it raised, which must be an `error_type`."""
    try:
        result = call()
    except error_type as error:
        return error
    except Exception as error:  # noqa: BLE001 - the point is to report what came instead
        raise CheckFailed(f"{what}: expected {error_type.__name__}, got {type(error).__name__}: {error}") from error
    raise CheckFailed(f"{what}: expected {error_type.__name__}, got a result: {str(result)[:300]}")


class Checks:
    """Runs named checks in order, printing `ok <name>` or `FAIL <name>: <reason>` for each."""

    def __init__(self):
        self.failed = []

    def run(self, name, function):
        started = time.monotonic()
        try:
            function()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
            reason = f"{type(error).__name__}: {error}" if not isinstance(error, CheckFailed) else str(error)
            reason = " ".join(reason.split())[:1500]
            print(f"FAIL {name}: {reason}", flush=True)
            if os.environ.get("TOLLGATE_CHECK_TRACEBACKS"):
                traceback.print_exc()
            self.failed.append(name)
        else:
            print(f"ok {name}", flush=True)
        if os.environ.get("TOLLGATE_CHECK_TIMES"):
            print(f"  ({name}: {time.monotonic() - started:.2f} s)", file=sys.stderr, flush=True)

    def finish(self):
        """Exits 1 when any check failed, else 0."""
        if self.failed:
            print(f"{len(self.failed)} check(s) failed: {', '.join(self.failed)}", flush=True)
            sys.exit(1)
        sys.exit(0)
