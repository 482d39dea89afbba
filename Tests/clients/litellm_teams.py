"""A LiteLLM admin script's team calls, written the way LiteLLM's docs show them, run unchanged against
Tollgate: create a team with a budget, add a member, mint a key for the team, use it, and read the team's
spend back from /team/info (and /team/list).

Reads TOLLGATE_URL (the proxy's base URL) and TOLLGATE_MASTER_KEY (the proxy's master key). Prints
`ok <check>` or `FAIL <check>: <reason>` per check (see clientcheck.py); exits 1 when any failed.
Tests/IntegrationTests/EndUserTests.swift runs it.
"""

import os
import sys
import time

import httpx

from clientcheck import Checks, expect, expect_equal

BASE_URL = os.environ["TOLLGATE_URL"].rstrip("/")
MASTER_KEY = os.environ["TOLLGATE_MASTER_KEY"]
HEADERS = {"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"}
state = {}


def team_new():
    # curl -X POST 'http://0.0.0.0:4000/team/new' -H 'Authorization: Bearer sk-1234' \
    #   -d '{"team_alias": "my-new-team", "max_budget": 10, "budget_duration": "30d", "models": [...]}'
    response = httpx.post(f"{BASE_URL}/team/new", headers=HEADERS, json={
        "team_alias": "ml-team",
        "max_budget": 500,
        "budget_duration": "30d",
        "rpm_limit": 100,
        "tpm_limit": 100000,
        "models": ["gpt-4o-mini"],
        "metadata": {"department": "research"},
    }, timeout=30)
    expect_equal(response.status_code, 200, f"/team/new status ({response.text})")
    team = response.json()
    expect(team.get("team_id"), "the new team has a team_id")
    expect_equal(team.get("team_alias"), "ml-team", "team_alias")
    expect_equal(team.get("max_budget"), 500, "max_budget")
    state["team_id"] = team["team_id"]


def member_add():
    # curl -X POST 'http://0.0.0.0:4000/team/member_add' -d '{"team_id": "...", "member": {"role": "user", "user_id": "krrish247652@berri.ai"}}'
    response = httpx.post(f"{BASE_URL}/team/member_add", headers=HEADERS, json={
        "team_id": state["team_id"],
        "member": {"role": "user", "user_id": "krrish247652@berri.ai"},
    }, timeout=30)
    expect_equal(response.status_code, 200, f"/team/member_add status ({response.text})")
    members = response.json().get("members_with_roles", [])
    expect(any(m.get("user_id") == "krrish247652@berri.ai" and m.get("role") == "user" for m in members),
           f"the member is listed with its role: {members}")


def key_generate():
    # curl -X POST 'http://0.0.0.0:4000/key/generate' -d '{"team_id": "...", "user_id": "..."}'
    response = httpx.post(f"{BASE_URL}/key/generate", headers=HEADERS, json={
        "team_id": state["team_id"],
        "user_id": "krrish247652@berri.ai",
        "key_alias": "krrish-ml-key",
    }, timeout=30)
    expect_equal(response.status_code, 200, f"/key/generate status ({response.text})")
    body = response.json()
    expect(str(body.get("key", "")).startswith("sk-"), "the key's secret is returned once")
    expect_equal(body.get("team_id"), state["team_id"], "the key belongs to the team")
    state["key"] = body["key"]


def team_call():
    response = httpx.post(f"{BASE_URL}/v1/chat/completions", headers={"Authorization": f"Bearer {state['key']}"}, json={
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello from the ML team"}],
        "max_tokens": 5,
    }, timeout=30)
    expect_equal(response.status_code, 200, f"a call with the team key ({response.text})")
    # The team's model list narrows the key: another model is refused.
    other = httpx.post(f"{BASE_URL}/v1/chat/completions", headers={"Authorization": f"Bearer {state['key']}"}, json={
        "model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
    }, timeout=30)
    expect_equal(other.status_code, 403, f"a model outside the team's list ({other.text})")


def team_info_spend():
    # curl -X GET 'http://0.0.0.0:4000/team/info?team_id=...' -H 'Authorization: Bearer sk-1234'
    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(f"{BASE_URL}/team/info", headers=HEADERS, params={"team_id": state["team_id"]}, timeout=30)
        expect_equal(response.status_code, 200, f"/team/info status ({response.text})")
        info = response.json()
        spend = info["team_info"]["spend"]
        if spend > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    expect(spend > 0, f"the team's spend shows the call: {info['team_info']}")
    keys = info.get("keys", [])
    expect_equal(len(keys), 1, "the team has one key")
    expect(abs(sum(k["spend"] for k in keys) - spend) < 1e-12, f"team spend {spend} = the sum of its keys' spend {keys}")
    expect_equal(info["team_info"]["max_budget"], 500, "max_budget")
    expect(any(m["user_id"] == "krrish247652@berri.ai" for m in info.get("team_memberships", [])), "the membership is listed")


def team_list():
    response = httpx.get(f"{BASE_URL}/team/list", headers=HEADERS, timeout=30)
    expect_equal(response.status_code, 200, f"/team/list status ({response.text})")
    teams = response.json()
    expect(isinstance(teams, list) and any(t.get("team_id") == state["team_id"] for t in teams), f"the team is listed: {teams}")


checks = Checks()
for name, function in [("team_new", team_new), ("member_add", member_add), ("key_generate", key_generate),
                       ("team_call", team_call), ("team_info_spend", team_info_spend), ("team_list", team_list)]:
    checks.run(name, function)
    if checks.failed:
        break  # each call builds on the one before
sys.stdout.flush()
checks.finish()
