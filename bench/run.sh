#!/usr/bin/env bash
# Tollgate benchmark: one command, loopback only, a few minutes.
#
# Measures the same chat workloads three ways against one fake Ollama that answers a non-streamed
# call at once and streams 20 chunks 5 ms apart (.build/release/fake-ollama --chunks 20
# --chunk-delay-ms 5 --whole-reply-delay-ms 0), so a non-streamed point measures the proxies' own
# cost, not the fake's generation time:
#   direct    wrk -> fake Ollama                  (POST /api/chat, Ollama's native dialect)
#   nginx     wrk -> nginx -> fake Ollama          (bare reverse proxy: the floor for any proxy)
#   tollgate  wrk -> Tollgate -> fake Ollama       (OpenAI /v1/chat/completions or Anthropic
#                                                   /v1/messages, with a virtual key that has every
#                                                   limit set, payload logging on, PostgreSQL and
#                                                   Redis in the loop)
#   tollgate2 wrk -> Tollgate -> two fake Ollamas  (the same, with a fleet of two backends: the cost
#                                                   of routing shows against the tollgate column)
# Workloads: non-streaming chat at concurrency 1, 16, 64; Anthropic messages at 16; streaming chat
# at 1 and 256. For nginx and Tollgate it also reads the process's CPU time from /proc around each
# cell and reports CPU milliseconds per request.
# Then, unless BENCH_CALLGRIND=0: instructions per request, counted by valgrind --tool=callgrind
# over a fixed number of requests (one non-streamed and one streamed shape), for Tollgate and for
# nginx. Instruction counts do not move with machine noise: they are the figure to compare across
# commits.
# Then the usage pipeline alone (`tollgate bench-usage`): N synthetic usage records journaled, then
# drained into PostgreSQL in batches; it reports the sustained records per second into PostgreSQL.
# Prints one table and saves it to bench/results/latest.txt (raw wrk outputs in
# bench/results/latest-raw/). See bench/README.md for how to read it.
#
# Knobs (environment):
#   BENCH_DURATION=8       seconds per measurement
#   BENCH_WARMUP=2         seconds of unrecorded warm-up before each measurement
#   BENCH_TARGETS="direct nginx tollgate tollgate2"   which columns to measure (tollgate2: Tollgate
#                          with two backends, two fake Ollamas, so routing is in the path)
#   BENCH_SKIP_BUILD=1     use the existing .build/release binaries
#   BENCH_BIN_DIR=DIR      where those binaries are (default .build/release)
#   BENCH_CALLGRIND=1      count instructions per request under callgrind (0: skip)
#   BENCH_CALLGRIND_REQUESTS=200   requests per counted shape
#   BENCH_USAGE_RECORDS=200000   usage records for the pipeline measurement (0: skip it)
#   BENCH_WORKLOADS="chat:1 chat:16 ..."   which wrk cells to measure ("none": only the callgrind
#                          counts and the usage pipeline, for a quick instruction-count check)
#   BENCH_PROFILE_DIR=DIR  keep the callgrind dumps there (callgrind_annotate reads them)
set -euo pipefail

# Repo root, from this script's location; everything below is relative to it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-8}
USAGE_RECORDS=${BENCH_USAGE_RECORDS:-200000}
WARMUP=${BENCH_WARMUP:-2}
CALLGRIND=${BENCH_CALLGRIND:-1}
CALLGRIND_REQUESTS=${BENCH_CALLGRIND_REQUESTS:-200}
read -r -a TARGETS <<<"${BENCH_TARGETS:-direct nginx tollgate tollgate2}"
# name:concurrency; "chat" is non-streaming OpenAI chat, "messages" non-streaming Anthropic
# messages (direct and nginx send the same native call for both), "chat-stream" streaming chat.
WORKLOADS=(chat:1 chat:16 chat:64 messages:16 chat-stream:1 chat-stream:256)
if [ -n "${BENCH_WORKLOADS:-}" ]; then
  read -r -a WORKLOADS <<<"${BENCH_WORKLOADS/none/}"
fi
PROFILE_DIR=${BENCH_PROFILE_DIR:-}
FAKE_CHUNKS=20
FAKE_CHUNK_DELAY_MS=5
FAKE_WHOLE_REPLY_DELAY_MS=0
MASTER_KEY=bench-master-key

BIN=${BENCH_BIN_DIR:-.build/release}
RESULTS=bench/results

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
has_target() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

# --- Build ---------------------------------------------------------------------------------------
scripts/install-deps.sh
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "building release binaries"
  # Linked as deploy/Dockerfile and scripts/run.sh link it (the Swift runtime and Foundation inside).
  swift build -c release --static-swift-stdlib --product fake-ollama
  if has_target tollgate; then swift build -c release --static-swift-stdlib --product tollgate; fi
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
# start_fake NAME [WRAPPER...]: starts a fake Ollama (under WRAPPER, e.g. valgrind, when given; --port
# 0: it picks a free port and prints "fake-ollama listening on http://HOST:PORT"), waits until it
# answers; sets STARTED_PID and STARTED_PORT.
start_fake() {
  local name=$1 logf=$TMP/$1.log port=""
  shift
  "$@" "$BIN/fake-ollama" --port 0 --chunks "$FAKE_CHUNKS" --chunk-delay-ms "$FAKE_CHUNK_DELAY_MS" \
    --whole-reply-delay-ms "$FAKE_WHOLE_REPLY_DELAY_MS" >"$logf" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for _ in $(seq 1 1800); do
    port=$(sed -n 's/.*fake-ollama listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$logf" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$STARTED_PID" 2>/dev/null || { cat "$logf" >&2; die "$name exited"; }
    sleep 0.1
  done
  [ -n "$port" ] || die "$name did not report its port"
  wait_http "http://127.0.0.1:$port/api/version" 120 "$STARTED_PID" "$name" "$logf"
  STARTED_PORT=$port
  log "$name on 127.0.0.1:$port (pid $STARTED_PID)"
}
start_fake fake-ollama
FAKE_PID=$STARTED_PID
FAKE_PORT=$STARTED_PORT
# The fleet point (tollgate2) spreads its calls over two backends: this fake and a second one.
if has_target tollgate2; then
  start_fake fake-ollama-2
  FAKE2_PORT=$STARTED_PORT
fi

# --- nginx: a bare reverse proxy to the fake ------------------------------------------------------
# start_nginx DIR PORT [WRAPPER...]: writes DIR/nginx.conf and starts nginx (under WRAPPER, e.g.
# valgrind, when given); sets STARTED_PID. One process (master_process off), so its CPU time and
# instruction count are all of nginx's work.
start_nginx() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  local nginx_user=""
  # As root nginx would switch to 'nobody'; keep it as the current user.
  if [ "$(id -u)" -eq 0 ]; then nginx_user="user $(id -un);"; fi
  cat >"$dir/nginx.conf" <<EOF
# Generated by bench/run.sh: the thinnest reasonable proxy in front of the fake Ollama.
$nginx_user
master_process off;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  upstream fake_ollama {
    server 127.0.0.1:$FAKE_PORT;
    keepalive 128;                     # HTTP/1.1 keep-alive to the upstream
  }
  server {
    listen 127.0.0.1:$port;
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
  "$@" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

if has_target nginx; then
  NGINX_PORT=$(free_port)
  start_nginx "$TMP/nginx" "$NGINX_PORT"
  NGINX_PID=$STARTED_PID
  wait_http "http://127.0.0.1:$NGINX_PORT/api/version" 10 "$NGINX_PID" nginx "$TMP/nginx/error.log"
  log "nginx on 127.0.0.1:$NGINX_PORT (pid $NGINX_PID)"
fi

# --- Tollgate, with private PostgreSQL + Redis ----------------------------------------------------
# The shipped config with payload logging on (every request's body and answer, redacted, written
# with its usage row): the benchmark measures a gateway with all its recording turned on. Its
# backends are listed with room for every connection the load opens (max_parallel 1024), so the
# fleet's queue never holds a call back and the numbers are the gateway's cost, not a queue's.
# tollgate_config FILE URL...: writes the benchmark config with one backend per URL.
tollgate_config() {
  local file=$1 i=0 url backends=""
  shift
  for url in "$@"; do
    i=$((i + 1))
    backends+="    - {name: bench-$i, url: \"$url\", max_parallel: 1024}"$'\n'
  done
  awk -v backends="$backends" '
    /^  payload_logging: off/ { sub(/off/, "full") }
    /^  backends: \[\]/ { next }
    { print }
    /^ollama:/ { printf "  backends:\n%s", backends }
  ' config/tollgate.yaml >"$file"
  grep -q '^  payload_logging: full' "$file" || die "could not turn payload logging on in the benchmark config"
}
TOLLGATE_CONFIG_FILE=$TMP/tollgate.yaml
tollgate_config "$TOLLGATE_CONFIG_FILE" "http://127.0.0.1:$FAKE_PORT"

# start_tollgate PORT DATA_DIR LOG CONFIG [WRAPPER...]: starts `tollgate serve` (under WRAPPER when
# given); sets STARTED_PID.
start_tollgate() {
  local port=$1 data=$2 logf=$3 config=$4
  shift 4
  TOLLGATE_CONFIG=$config TOLLGATE_MASTER_KEY=$MASTER_KEY DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL \
    TOLLGATE_HOST=127.0.0.1 TOLLGATE_PORT=$port TOLLGATE_DATA_DIR=$data \
    "$@" "$BIN/tollgate" serve >"$logf" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

if has_target tollgate || has_target tollgate2; then
  SERVICES_UP=1
  scripts/services.sh start "$TMP/services" >/dev/null
  # shellcheck source=/dev/null
  source "$TMP/services/env"
fi
if has_target tollgate; then
  TOLLGATE_PORT=$(free_port)
  # Its own data dir: a gateway started by scripts/run.sh in this checkout holds data/journal's lock.
  start_tollgate "$TOLLGATE_PORT" "$TMP/tollgate-data" "$TMP/tollgate.log" "$TOLLGATE_CONFIG_FILE"
  TOLLGATE_PID=$STARTED_PID
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/live" 60 "$TOLLGATE_PID" tollgate "$TMP/tollgate.log"
  log "tollgate on 127.0.0.1:$TOLLGATE_PORT (pid $TOLLGATE_PID)"
fi
if has_target tollgate2; then
  tollgate_config "$TMP/tollgate2.yaml" "http://127.0.0.1:$FAKE_PORT" "http://127.0.0.1:$FAKE2_PORT"
  TOLLGATE2_PORT=$(free_port)
  start_tollgate "$TOLLGATE2_PORT" "$TMP/tollgate2-data" "$TMP/tollgate2.log" "$TMP/tollgate2.yaml"
  TOLLGATE2_PID=$STARTED_PID
  wait_http "http://127.0.0.1:$TOLLGATE2_PORT/health/live" 60 "$TOLLGATE2_PID" tollgate2 "$TMP/tollgate2.log"
  log "tollgate2 (two backends) on 127.0.0.1:$TOLLGATE2_PORT (pid $TOLLGATE2_PID)"
fi
if has_target tollgate || has_target tollgate2; then
  # The load uses a virtual key with every limit set (far above the load), so each request pays for
  # the key lookup and the atomic Redis admission + settlement, as a teammate's request would. Both
  # gateways share the PostgreSQL, so the key works on either.
  admin_port=${TOLLGATE_PORT:-$TOLLGATE2_PORT}
  BENCH_KEY=$(curl -sf "http://127.0.0.1:$admin_port/key/generate" -H "Authorization: Bearer $MASTER_KEY" \
    -d '{"key_alias":"bench","rpm_limit":100000000,"tpm_limit":100000000000,"max_parallel_requests":100000,"max_budget":1000000}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  [ -n "$BENCH_KEY" ] || { log "error: could not create the benchmark key"; exit 1; }
fi

# url_for TARGET WORKLOAD -> the URL that workload calls on that target;
# dialect_for TARGET WORKLOAD -> native|openai|anthropic (the body bench/chat.lua sends).
url_for() {
  case "$1" in
    direct) echo "http://127.0.0.1:$FAKE_PORT/api/chat" ;;
    nginx) echo "http://127.0.0.1:$NGINX_PORT/api/chat" ;;
    tollgate | tollgate2)
      local port=$TOLLGATE_PORT
      [ "$1" = tollgate2 ] && port=$TOLLGATE2_PORT
      if [ "$2" = messages ]; then echo "http://127.0.0.1:$port/v1/messages"
      else echo "http://127.0.0.1:$port/v1/chat/completions"; fi ;;
  esac
}
dialect_for() {
  if [ "$1" != tollgate ] && [ "$1" != tollgate2 ]; then echo native
  elif [ "$2" = messages ]; then echo anthropic
  else echo openai; fi
}
# pid_for TARGET -> the process whose CPU time is that target's cost (none for direct).
pid_for() {
  case "$1" in
    nginx) echo "$NGINX_PID" ;;
    tollgate) echo "$TOLLGATE_PID" ;;
    tollgate2) echo "$TOLLGATE2_PID" ;;
  esac
}
# cpu_ticks PID -> user + system CPU time of the process (all its threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# --- Sanity check: one request of each kind per target must answer 200 -------------------------
for t in "${TARGETS[@]}"; do
  for w in chat messages; do
    for stream in nostream stream; do
      [ "$w" = messages ] && [ "$stream" = stream ] && continue
      if ! python3 bench/fixed_requests.py "$(url_for "$t" "$w")" 1 "$(dialect_for "$t" "$w")" "$stream" "${BENCH_KEY:-$MASTER_KEY}"; then
        log "WARNING: $t $w $stream did not answer 200"
      fi
    done
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
    url=$(url_for "$t" "$name")
    args=(-t"$threads" -c"$conc" --timeout 10s -s bench/chat.lua "$url" -- "$(dialect_for "$t" "$name")" "$stream" "${BENCH_KEY:-}")
    if [ "$WARMUP" -gt 0 ]; then wrk -d"${WARMUP}s" "${args[@]}" >/dev/null 2>&1 || true; fi
    log "$name c=$conc $t"
    pid=$(pid_for "$t")
    before=""
    [ -z "$pid" ] || before=$(cpu_ticks "$pid")
    wrk -d"${DURATION}s" --latency "${args[@]}" >"$RAW/${name}_c${conc}_${t}.txt" 2>&1 \
      || log "WARNING: wrk failed for $t $name c=$conc (see the raw output)"
    # CPU ticks the process used during the measured run; report.py divides by wrk's request count.
    [ -z "$pid" ] || echo $(( $(cpu_ticks "$pid") - before )) "$(getconf CLK_TCK)" >"$RAW/${name}_c${conc}_${t}.cpu"
  done
done

# --- Instructions per request (callgrind) --------------------------------------------------------
# A second Tollgate and a second nginx under valgrind --tool=callgrind, instrumentation off until
# they are up. For each shape: warm up, zero the counters, send exactly CALLGRIND_REQUESTS requests
# one after another, wait for the work they leave behind (usage rows are written in batches every
# 200 ms), dump, and divide the total instruction count by the number of requests.
# count_instructions NAME PID URL DIALECT STREAM -> writes RAW/callgrind_NAME_STREAM.txt
count_instructions() {
  local name=$1 pid=$2 url=$3 dialect=$4 stream=$5 out
  python3 bench/fixed_requests.py "$url" 20 "$dialect" "$stream" "${BENCH_KEY:-$MASTER_KEY}" || return 1
  sleep 1
  callgrind_control -z "$pid" >/dev/null
  python3 bench/fixed_requests.py "$url" "$CALLGRIND_REQUESTS" "$dialect" "$stream" "${BENCH_KEY:-$MASTER_KEY}" || return 1
  sleep 2
  rm -f "$TMP/callgrind/$name".out.*
  callgrind_control -d "$pid" >/dev/null
  for _ in $(seq 1 100); do
    out=$(ls "$TMP/callgrind/$name".out.* 2>/dev/null | head -n 1)
    [ -n "$out" ] && grep -q '^totals:' "$out" && break
    sleep 0.1
  done
  [ -n "$out" ] || return 1
  awk -v n="$CALLGRIND_REQUESTS" '/^(totals|summary):/ {print $2, n; exit}' "$out" >"$RAW/callgrind_${name}_${stream}.txt"
  if [ -n "$PROFILE_DIR" ]; then mkdir -p "$PROFILE_DIR" && cp "$out" "$PROFILE_DIR/callgrind.$name.$stream.out"; fi
}

if [ "$CALLGRIND" = 1 ]; then
  # A valgrind that runs Swift 6.3 binaries (3.22 or later; Debian 12 has 3.19): bench/valgrind.sh.
  # callgrind_control stays the system's: Debian 13's vgdb needs a newer libc, and 3.19's speaks the
  # same protocol to a 3.24 valgrind.
  command -v callgrind_control >/dev/null || die "callgrind_control not found (scripts/install-deps.sh installs valgrind)"
  VG_BIN=$(bench/valgrind.sh) || die "no usable valgrind (bench/valgrind.sh)"
  case "$VG_BIN" in "$ROOT"/.build-valgrind/*) export VALGRIND_LIB="$VG_BIN/../libexec/valgrind" ;; esac
  mkdir -p "$TMP/callgrind"
  VALGRIND=("$VG_BIN/valgrind" --tool=callgrind --instr-atstart=no -q)
  # count_target NAME READY_PATH URL DIALECT LOG: waits for the instrumented process started last
  # (STARTED_PID, on port cg_port) to answer READY_PATH, then counts both request shapes against URL. In
  # a subshell for the wait: a process that cannot start under valgrind costs its figure, not the run.
  count_target() {
    local name=$1 ready=$2 url=$3 dialect=$4 logf=$5 pid=$STARTED_PID stream
    if ! ( wait_http "http://127.0.0.1:$cg_port$ready" 180 "$pid" "$name (callgrind)" "$logf" ); then
      log "WARNING: $name did not start under valgrind (see bench/README.md): no instruction count for it"
      return 0
    fi
    callgrind_control -i on "$pid" >/dev/null
    for stream in nostream stream; do
      log "callgrind: $name $stream, $CALLGRIND_REQUESTS requests"
      count_instructions "$name" "$pid" "$url" "$dialect" "$stream" || log "WARNING: callgrind count failed for $name $stream"
    done
    if [ "$name" = tollgate ]; then
      # The HTTP front's floor: a bodiless GET that Hummingbird and NIO answer without a model call.
      log "callgrind: $name floor (GET $ready), $CALLGRIND_REQUESTS requests"
      count_instructions "$name" "$pid" "http://127.0.0.1:$cg_port$ready" get floor || log "WARNING: callgrind count failed for $name floor"
    fi
    kill -TERM "$pid" 2>/dev/null || true
  }
  if has_target tollgate; then
    cg_port=$(free_port)
    start_tollgate "$cg_port" "$TMP/tollgate-cg-data" "$TMP/tollgate-cg.log" "$TOLLGATE_CONFIG_FILE" \
      "${VALGRIND[@]}" --callgrind-out-file="$TMP/callgrind/tollgate.out"
    count_target tollgate /health/live "http://127.0.0.1:$cg_port/v1/chat/completions" openai "$TMP/tollgate-cg.log"
  fi
  if has_target direct; then
    # The framework's own floor: the fake Ollama is a plain Hummingbird 2 app (no middleware), so its
    # GET /api/version is what Hummingbird and NIO cost per request before any gateway code runs.
    start_fake fake-ollama-cg "${VALGRIND[@]}" --callgrind-out-file="$TMP/callgrind/fake.out"
    fake_cg_pid=$STARTED_PID fake_cg_port=$STARTED_PORT
    callgrind_control -i on "$fake_cg_pid" >/dev/null
    log "callgrind: fake Ollama floor (GET /api/version), non-streamed and streamed /api/chat, $CALLGRIND_REQUESTS requests each"
    count_instructions fake "$fake_cg_pid" "http://127.0.0.1:$fake_cg_port/api/version" get floor || log "WARNING: callgrind count failed for the fake's floor"
    count_instructions fake "$fake_cg_pid" "http://127.0.0.1:$fake_cg_port/api/chat" native nostream || log "WARNING: callgrind count failed for the fake's chat"
    count_instructions fake "$fake_cg_pid" "http://127.0.0.1:$fake_cg_port/api/chat" native stream || log "WARNING: callgrind count failed for the fake's stream"
    kill -TERM "$fake_cg_pid" 2>/dev/null || true
  fi
  if has_target nginx; then
    cg_port=$(free_port)
    start_nginx "$TMP/nginx-cg" "$cg_port" "${VALGRIND[@]}" --callgrind-out-file="$TMP/callgrind/nginx.out"
    count_target nginx /api/version "http://127.0.0.1:$cg_port/api/chat" native "$TMP/nginx-cg/error.log"
  fi
fi

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
      # Anonymous (heap, stacks) apart from file-backed (the binary's and shared libraries' pages).
      split=$(awk '/^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {printf "anonymous %.1f, file-backed %.1f", a/1024, f/1024}' "/proc/$TOLLGATE_PID/status")
      threads=$(awk '/^Threads:/ {print $2}' "/proc/$TOLLGATE_PID/status")
      echo "Tollgate memory after the run: VmRSS ${rss} MiB ($split; $threads threads), peak VmHWM ${hwm} MiB"
    else
      echo "Tollgate memory: process gone before the end of the run (see its log)"
    fi
  fi
  if has_target nginx && [ -r "/proc/$NGINX_PID/status" ]; then
    echo "nginx memory after the run: VmRSS $(awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$NGINX_PID/status") MiB"
  fi
} >"$NOTES"

mkdir -p "$RESULTS"
workload_list=$(printf '%s,' "${WORKLOADS[@]}"); workload_list=${workload_list%,}
target_list=$(printf '%s,' "${TARGETS[@]}"); target_list=${target_list%,}
{
  echo "Tollgate benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, loopback"
  echo "fake Ollama: a non-streamed reply at once; a stream is ${FAKE_CHUNKS} chunks ${FAKE_CHUNK_DELAY_MS} ms apart;" \
       "wrk -t2 (-t1 at c=1), ${DURATION}s per cell after ${WARMUP}s warm-up; latencies in ms"
  echo "chat = OpenAI chat, messages = Anthropic messages (direct/nginx: the same native call), chat-stream = streaming" \
       "(latency = whole response). +p50 = added median latency vs direct; tg/nginx = Tollgate divided by nginx;" \
       "cpu = the process's CPU ms per request"
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
