#!/usr/bin/env python3
"""Sends exactly N requests, one after another on one keep-alive connection, and fails on any non-200.

Usage: fixed_requests.py URL N DIALECT STREAM KEY
  DIALECT  native | openai | anthropic (the body and headers, as bench/chat.lua builds them), or
           get: a bodiless GET of URL (the HTTP front's own floor, e.g. /health/live)
  STREAM   stream | nostream
Used by bench/run.sh's instruction-count phase, where a fixed number of requests (not a duration)
is what makes the count repeatable. Standard library only.
"""
import http.client
import json
import sys
import urllib.parse


def main():
    url, n, dialect, stream, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "stream", sys.argv[5]
    parts = urllib.parse.urlsplit(url)
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "hello"}], "stream": stream}
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    if dialect == "anthropic":
        body["max_tokens"] = 256
        headers["anthropic-version"] = "2023-06-01"
        headers["x-api-key"] = key
    payload = json.dumps(body, separators=(",", ":")).encode()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    for i in range(n):
        if dialect == "get":
            conn.request("GET", parts.path)
        else:
            conn.request("POST", parts.path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            print(f"request {i + 1} of {n}: HTTP {response.status}: {data[:300]!r}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
