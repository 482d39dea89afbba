#!/usr/bin/env bash
# Tollgate benchmark: one command, loopback only, a few minutes.
#
# Measures the same chat workloads three ways against one fake Ollama
# (.build/release/fake-ollama --chunks 20 --chunk-delay-ms 5):
#   direct    wrk -> fake Ollama                  (POST /api/chat, Ollama's native dialect)
#   nginx     wrk -> nginx -> fake Ollama          (bare reverse proxy: the floor for any proxy)
#   tollgate  wrk -> Tollgate -> fake Ollama       (POST /v1/chat/completions, OpenAI dialect,
#                                                   with auth, PostgreSQL and Redis in the loop)
# Workloads: non-streaming chat at concurrency 1, 16, 64; streaming chat at 16 and 256.
# Then the usage pipeline alone (`tollgate bench-usage`): N synthetic usage records journaled, then
# drained into PostgreSQL in batches; it reports the sustained records per second into PostgreSQL.
# Prints one table and saves it to bench/results/latest.txt (raw wrk outputs in
# bench/results/latest-raw/). See bench/README.md for how to read it.
#
# Knobs (environment):
#   BENCH_DURATION=8       seconds per measurement
#   BENCH_WARMUP=2         seconds of unrecorded warm-up before each measurement
#   BENCH_TARGETS="direct nginx tollgate"   which columns to measure
#   BENCH_SKIP_BUILD=1     use the existing .build/release binaries
#   BENCH_USAGE_RECORDS=200000   usage records for the pipeline measurement (0: skip it)
set -euo pipefail

# Repo root, from this script's location; everything below is relative to it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-8}
USAGE_RECORDS=${BENCH_USAGE_RECORDS:-200000}
WARMUP=${BENCH_WARMUP:-2}
read -r -a TARGETS <<<"${BENCH_TARGETS:-direct nginx tollgate}"
# name:concurrency; "chat" is non-streaming, "chat-stream" streaming.
WORKLOADS=(chat:1 chat:16 chat:64 chat-stream:16 chat-stream:256)
FAKE_CHUNKS=20
FAKE_CHUNK_DELAY_MS=5
MASTER_KEY=bench-master-key

BIN=.build/release
RESULTS=bench/results

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
has_target() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# --- Build ---------------------------------------------------------------------------------------
scripts/install-deps.sh
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "building release binaries"
  swift build -c release --product fake-ollama
  if has_target tollgate; then swift build -c release --product tollgate; fi
fi
[ -x "$BIN/fake-ollama" ] || die "$BIN/fake-ollama is missing (build it or unset BENCH_SKIP_BUILD)"
if has_target tollgate; then [ -x "$BIN/tollgate" ] || die "$BIN/tollgate is missing"; fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx not found (scripts/install-deps.sh installs nginx-light)"
command -v wrk >/dev/null || die "wrk not found (scripts/install-deps.sh installs it)"

# --- Temp dir and cleanup ------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
# Traversable by others: as root, PostgreSQL runs as the postgres user under $TMP/services.
chmod 755 "$TMP"
PIDS=()          # processes this script started, killed on exit
SERVICES_UP=0
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$SERVICES_UP" -eq 1 ]; then scripts/services.sh stop "$TMP/services" 2>/dev/null || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Many connections: raise the open-files limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS PID NAME LOG: wait until GET URL answers 200; fail early if PID dies.
wait_http() {
  local url=$1 secs=$2 pid=$3 name=$4 logf=$5
  for _ in $(seq 1 $((secs * 10))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$logf" >&2 || true; die "$name exited during start-up"; fi
    sleep 0.1
  done
  tail -n 30 "$logf" >&2 || true
  die "$name did not answer 200 at $url within ${secs}s"
}

# --- Fake Ollama ---------------------------------------------------------------------------------
# --port 0: it picks a free port and prints "fake-ollama listening on http://HOST:PORT".
"$BIN/fake-ollama" --port 0 --chunks "$FAKE_CHUNKS" --chunk-delay-ms "$FAKE_CHUNK_DELAY_MS" >"$TMP/fake.log" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
FAKE_PORT=""
for _ in $(seq 1 300); do
  FAKE_PORT=$(sed -n 's/.*fake-ollama listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$TMP/fake.log" | head -n 1)
  [ -n "$FAKE_PORT" ] && break
  kill -0 "$FAKE_PID" 2>/dev/null || { cat "$TMP/fake.log" >&2; die "fake-ollama exited"; }
  sleep 0.1
done
[ -n "$FAKE_PORT" ] || die "fake-ollama did not report its port"
wait_http "http://127.0.0.1:$FAKE_PORT/api/version" 10 "$FAKE_PID" fake-ollama "$TMP/fake.log"
log "fake-ollama on 127.0.0.1:$FAKE_PORT (pid $FAKE_PID)"

# --- nginx: a bare reverse proxy to the fake ------------------------------------------------------
if has_target nginx; then
  NGINX_PORT=$(free_port)
  mkdir -p "$TMP/nginx"
  nginx_user=""
  # As root nginx would switch its worker to 'nobody'; keep it as the current user.
  if [ "$(id -u)" -eq 0 ]; then nginx_user="user $(id -un);"; fi
  cat >"$TMP/nginx/nginx.conf" <<EOF
# Generated by bench/run.sh: the thinnest reasonable proxy in front of the fake Ollama.
$nginx_user
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/client_body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  upstream fake_ollama {
    server 127.0.0.1:$FAKE_PORT;
    keepalive 128;                     # HTTP/1.1 keep-alive to the upstream
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://fake_ollama;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;             # stream chunks through as they come
      proxy_request_buffering off;
      proxy_read_timeout 60s;
    }
  }
}
EOF
  "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$NGINX_PORT/api/version" 10 "$NGINX_PID" nginx "$TMP/nginx/error.log"
  log "nginx on 127.0.0.1:$NGINX_PORT (pid $NGINX_PID)"
fi

# --- Tollgate, with private PostgreSQL + Redis ----------------------------------------------------
if has_target tollgate; then
  SERVICES_UP=1
  scripts/services.sh start "$TMP/services" >/dev/null
  # shellcheck source=/dev/null
  source "$TMP/services/env"
  TOLLGATE_PORT=$(free_port)
  # Its own data dir: a gateway started by scripts/run.sh in this checkout holds data/journal's lock.
  TOLLGATE_MASTER_KEY=$MASTER_KEY DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL \
    OLLAMA_BASE_URL="http://127.0.0.1:$FAKE_PORT" TOLLGATE_HOST=127.0.0.1 TOLLGATE_PORT=$TOLLGATE_PORT \
    TOLLGATE_DATA_DIR="$TMP/tollgate-data" \
    "$BIN/tollgate" serve >"$TMP/tollgate.log" 2>&1 &
  TOLLGATE_PID=$!
  PIDS+=("$TOLLGATE_PID")
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/live" 60 "$TOLLGATE_PID" tollgate "$TMP/tollgate.log"
  log "tollgate on 127.0.0.1:$TOLLGATE_PORT (pid $TOLLGATE_PID)"
  # The load uses a virtual key with every limit set (far above the load), so each request pays for
  # the key lookup and the atomic Redis admission + settlement, as a teammate's request would.
  BENCH_KEY=$(curl -sf "http://127.0.0.1:$TOLLGATE_PORT/key/generate" -H "Authorization: Bearer $MASTER_KEY" \
    -d '{"key_alias":"bench","rpm_limit":100000000,"tpm_limit":100000000000,"max_parallel_requests":100000,"max_budget":1000000}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  [ -n "$BENCH_KEY" ] || { log "error: could not create the benchmark key"; exit 1; }
fi

# url_for TARGET -> the chat URL of that target; dialect_for TARGET -> native|openai
url_for() {
  case "$1" in
    direct) echo "http://127.0.0.1:$FAKE_PORT/api/chat" ;;
    nginx) echo "http://127.0.0.1:$NGINX_PORT/api/chat" ;;
    tollgate) echo "http://127.0.0.1:$TOLLGATE_PORT/v1/chat/completions" ;;
  esac
}
dialect_for() { if [ "$1" = tollgate ]; then echo openai; else echo native; fi; }

# --- Sanity check: one request of each kind per target must answer 200 -------------------------
for t in "${TARGETS[@]}"; do
  for stream in false true; do
    # The same body is valid in both dialects (Ollama native and OpenAI).
    body='{"model":"llama3.2","messages":[{"role":"user","content":"hello"}],"stream":'$stream'}'
    code=$(curl -s -o "$TMP/sanity.out" -w '%{http_code}' --max-time 10 -X POST \
      -H 'Content-Type: application/json' -H "Authorization: Bearer $MASTER_KEY" -d "$body" "$(url_for "$t")" || true)
    if [ "$code" != 200 ]; then
      log "WARNING: $t stream=$stream answered HTTP $code: $(head -c 300 "$TMP/sanity.out" 2>/dev/null)"
    fi
  done
done

# --- Measurements --------------------------------------------------------------------------------
RAW=$TMP/raw
mkdir -p "$RAW"
n_runs=$(( ${#WORKLOADS[@]} * ${#TARGETS[@]} ))
log "measuring: ${#WORKLOADS[@]} workloads x ${#TARGETS[@]} targets, ${WARMUP}s warm-up + ${DURATION}s each (~$(( n_runs * (WARMUP + DURATION) ))s)"
for w in "${WORKLOADS[@]}"; do
  name=${w%%:*}
  conc=${w##*:}
  stream=nostream
  [ "$name" = chat-stream ] && stream=stream
  threads=2
  [ "$conc" -lt 2 ] && threads=$conc
  for t in "${TARGETS[@]}"; do
    url=$(url_for "$t")
    args=(-t"$threads" -c"$conc" --timeout 10s -s bench/chat.lua "$url" -- "$(dialect_for "$t")" "$stream" "${BENCH_KEY:-}")
    if [ "$WARMUP" -gt 0 ]; then wrk -d"${WARMUP}s" "${args[@]}" >/dev/null 2>&1 || true; fi
    log "$name c=$conc $t"
    wrk -d"${DURATION}s" --latency "${args[@]}" >"$RAW/${name}_c${conc}_${t}.txt" 2>&1 \
      || log "WARNING: wrk failed for $t $name c=$conc (see the raw output)"
  done
done

# --- Usage pipeline: records per second into PostgreSQL ------------------------------------------
# After the HTTP measurements, so it competes with nothing; same private PostgreSQL (its rows have key
# ids of no real key). One line of output, added to the notes under the table.
USAGE_LINE=""
if has_target tollgate && [ "$USAGE_RECORDS" -gt 0 ]; then
  log "usage pipeline: $USAGE_RECORDS records journaled, then drained into PostgreSQL"
  if USAGE_LINE=$(TOLLGATE_MASTER_KEY=$MASTER_KEY DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL \
      "$BIN/tollgate" bench-usage --records "$USAGE_RECORDS" 2>"$TMP/bench-usage.log"); then
    log "$USAGE_LINE"
  else
    USAGE_LINE="usage pipeline: measurement failed (see bench-usage.log in the raw results)"
    log "WARNING: $USAGE_LINE"
  fi
fi

# --- Report --------------------------------------------------------------------------------------
NOTES=$TMP/notes.txt
{
  [ -z "$USAGE_LINE" ] || echo "$USAGE_LINE"
  if has_target tollgate; then
    if [ -r "/proc/$TOLLGATE_PID/status" ]; then
      rss=$(awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$TOLLGATE_PID/status")
      hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$TOLLGATE_PID/status")
      echo "Tollgate memory after the run: VmRSS ${rss} MiB, peak VmHWM ${hwm} MiB"
    else
      echo "Tollgate memory: process gone before the end of the run (see its log)"
    fi
  fi
} >"$NOTES"

mkdir -p "$RESULTS"
workload_list=$(printf '%s,' "${WORKLOADS[@]}"); workload_list=${workload_list%,}
target_list=$(printf '%s,' "${TARGETS[@]}"); target_list=${target_list%,}
{
  echo "Tollgate benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, loopback"
  echo "fake Ollama: ${FAKE_CHUNKS} chunks ${FAKE_CHUNK_DELAY_MS} ms apart (also before a non-streamed reply);" \
       "wrk -t2 (-t1 at c=1), ${DURATION}s per cell after ${WARMUP}s warm-up; latencies in ms"
  echo "chat = non-streaming, chat-stream = streaming (latency = whole response)." \
       "+p50 = added median latency vs direct; tg/nginx = Tollgate divided by nginx"
  echo
  set +e
  python3 bench/report.py "$RAW" "$target_list" "$workload_list" "$NOTES"
  report_rc=$?
  set -e
  [ "$report_rc" -eq 0 ] || [ "$report_rc" -eq 3 ] || echo "report.py failed with $report_rc"
} | tee "$RESULTS/latest.txt"
rm -rf "$RESULTS/latest-raw"
cp -r "$RAW" "$RESULTS/latest-raw"
if has_target tollgate; then cp "$TMP/tollgate.log" "$RESULTS/latest-raw/tollgate.log"; fi
if [ -f "$TMP/bench-usage.log" ]; then cp "$TMP/bench-usage.log" "$RESULTS/latest-raw/bench-usage.log"; fi
log "saved $RESULTS/latest.txt (raw wrk outputs in $RESULTS/latest-raw/)"
