#!/usr/bin/env bash
# Usage API on a million-row request log: how long /spend/logs and /usage take.
#
# Starts a private PostgreSQL + Redis (scripts/services.sh), applies the migrations with
# `tollgate migrate`, generates BENCH_ROWS request_log rows (default 1,000,000) spread over 50 keys
# (10 users), 5 models and 90 days, folds them into usage_daily (with latency histograms, exactly as
# the gateway's writer does), starts `tollgate serve` and times, each as the median of BENCH_RUNS runs:
#   spend/logs first page   one key over the last 30 days, limit=100
#   spend/logs deep page    the same, 100 rows from a cursor ~6,000 rows deep
#   spend/logs big page     the same, limit=1000 (the largest page: JSON writing dominates)
#   usage by day            /usage?group_by=day over the 90 days (all keys)
#   usage by key,model      /usage?group_by=key,model over the 90 days
# and then the dashboard's pages (signed in with the master key) on the same data: overview (24 h, 30 d),
# keys, the request log (first page, one key, a deep cursor page), a request's detail, usage by day and by
# key, users and the audit log.
# Then prints the plans (EXPLAIN ANALYZE) of the equivalent SQL, to check the indexes are used.
# Output: a table on stdout, also saved to bench/results/usage-queries.txt (plans in
# bench/results/usage-queries-plans.txt).
#
# Knobs: BENCH_ROWS=1000000  BENCH_RUNS=7  BENCH_SKIP_BUILD=1 (use the existing binary)
#        BENCH_BIN=.build/release (the directory of the tollgate binary; .build/debug with BENCH_SKIP_BUILD=1
#        measures a debug build, slower than release)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-7}
MASTER_KEY=bench-master-key
BIN=${BENCH_BIN:-.build/release}
RESULTS=bench/results

log() { echo "usage-bench: $*" >&2; }
die() { echo "usage-bench: error: $*" >&2; exit 1; }

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "building tollgate (release)"
  swift build -c release --static-swift-stdlib --product tollgate
fi
[ -x "$BIN/tollgate" ] || die "$BIN/tollgate is missing (build it or unset BENCH_SKIP_BUILD)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-usage-bench.XXXXXX")
chmod 755 "$TMP"
TOLLGATE_PID=""
SERVICES_UP=0
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  if [ -n "$TOLLGATE_PID" ]; then
    kill -TERM "$TOLLGATE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$TOLLGATE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TOLLGATE_PID" 2>/dev/null || true
  fi
  if [ "$SERVICES_UP" -eq 1 ]; then scripts/services.sh stop "$TMP/services" 2>/dev/null || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Services and schema -------------------------------------------------------------------------
SERVICES_UP=1
SERVICES_EPHEMERAL=1 scripts/services.sh start "$TMP/services" >/dev/null
# shellcheck source=/dev/null
source "$TMP/services/env"
export DATABASE_URL REDIS_URL
export TOLLGATE_MASTER_KEY=$MASTER_KEY
"$BIN/tollgate" migrate >&2

PSQL=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$PSQL" ] || PSQL=$(command -v psql) || die "psql not found"
sql() { "$PSQL" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

# The histogram boundaries, as LatencyHistogram.bounds defines them (2^(i/3) ms, i = 0…58).
BOUNDS=$(python3 -c "print('{' + ','.join(repr(2 ** (i / 3)) for i in range(59)) + '}')")

# --- Data ----------------------------------------------------------------------------------------
log "generating $ROWS request_log rows (50 keys, 5 models, 90 days)"
started=$(date +%s)
sql <<SQL
INSERT INTO api_keys (id, key_hash, display, alias, user_id)
SELECT gen_random_uuid(), encode(sha256(('bench-key-' || i)::bytea), 'hex'), 'sk-…' || i, 'bench-' || i, 'user-' || (i % 10)
FROM generate_series(1, 50) i;

CREATE TEMP TABLE bench_keys AS SELECT row_number() OVER (ORDER BY alias) - 1 AS n, id::text AS id, user_id FROM api_keys;

INSERT INTO request_log (request_id, key_id, user_id, dialect, endpoint, requested_model, served_model, backend, stream,
                         status, http_status, error_type, prompt_tokens, completion_tokens, cost_micros, started_at,
                         ttft_ms, duration_ms, upstream_ms)
SELECT 'req_' || lpad(to_hex(i), 24, '0'), k.id, k.user_id, 'openai', '/v1/chat/completions',
       m.name, m.name || ':latest', 'http://127.0.0.1:11434', i % 3 = 0,
       CASE WHEN i % 50 = 0 THEN 'upstream_error' ELSE 'ok' END, CASE WHEN i % 50 = 0 THEN 502 ELSE 200 END, NULL,
       100 + i % 900, 20 + i % 400, (100 + i % 900) * 2 + (20 + i % 400) * 8,
       now() - random() * interval '90 days',
       t.ttft, t.ttft + random() * 5000, t.ttft + random() * 4000
FROM generate_series(1, $ROWS) i
JOIN bench_keys k ON k.n = i % 50
JOIN (VALUES (0, 'llama3.2'), (1, 'qwen3'), (2, 'mistral'), (3, 'gemma3'), (4, 'phi4')) AS m(n, name) ON m.n = (i / 50) % 5
CROSS JOIN LATERAL (SELECT exp(random() * 7) + 0 * i AS ttft) t;

INSERT INTO usage_daily (day, key_id, model, user_id, requests, ok, failed, prompt_tokens, completion_tokens, cost_micros,
                         duration_ms_sum, duration_hist, ttft_hist)
SELECT (started_at AT TIME ZONE 'UTC')::date, key_id, coalesce(served_model, requested_model, ''), coalesce(user_id, ''),
       count(*), count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'),
       sum(prompt_tokens), sum(completion_tokens), sum(cost_micros), sum(duration_ms),
       usage_histogram(array_agg(duration_ms), '$BOUNDS'::float8[]), usage_histogram(array_agg(ttft_ms), '$BOUNDS'::float8[])
FROM request_log GROUP BY 1, 2, 3, 4;
VACUUM ANALYZE;
SQL
log "data ready in $(($(date +%s) - started)) s: $(sql -tAc 'SELECT count(*) FROM request_log') log rows, $(sql -tAc 'SELECT count(*) FROM usage_daily') usage_daily rows"

# --- Tollgate ------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
TOLLGATE_HOST=127.0.0.1 TOLLGATE_PORT=$PORT OLLAMA_BASE_URL=http://127.0.0.1:9 TOLLGATE_DATA_DIR="$TMP/data" \
  "$BIN/tollgate" serve >"$TMP/tollgate.log" 2>&1 &
TOLLGATE_PID=$!
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/health/live" || true)" = 200 ] && break
  kill -0 "$TOLLGATE_PID" 2>/dev/null || { tail -n 30 "$TMP/tollgate.log" >&2; die "tollgate exited"; }
  sleep 0.1
done
BASE=http://127.0.0.1:$PORT
AUTH="Authorization: Bearer $MASTER_KEY"

KEY_HASH=$(sql -tAc "SELECT key_hash FROM api_keys WHERE alias = 'bench-7'")
KEY_ID=$(sql -tAc "SELECT id FROM api_keys WHERE alias = 'bench-7'")
TODAY=$(date -u +%F)
MONTH_AGO=$(date -u -d '30 days ago' +%F)
QUARTER_AGO=$(date -u -d '90 days ago' +%F)

# time_ms PATH -> median wall time in ms of RUNS GETs (after one warm-up), checking each is 200.
time_ms() {
  local path=$1 times=() code t
  curl -s -o /dev/null -H "$AUTH" "$BASE$path"
  for _ in $(seq 1 "$RUNS"); do
    read -r code t < <(curl -s -o "$TMP/out.json" -w '%{http_code} %{time_total}\n' -H "$AUTH" "$BASE$path")
    [ "$code" = 200 ] || die "GET $path answered $code: $(head -c 300 "$TMP/out.json")"
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$RUNS" '{a[NR]=$1} END {printf "%.1f", a[int((n+1)/2)] * 1000}'
}

# A cursor ~6,000 rows deep into the key's month: walk six pages of 1,000.
LOGS="/spend/logs?api_key=$KEY_HASH&start_date=$MONTH_AGO&end_date=$TODAY"
CURSOR=""
for _ in 1 2 3 4 5 6; do
  CURSOR=$(curl -sf -H "$AUTH" "$BASE$LOGS&limit=1000${CURSOR:+&cursor=$CURSOR}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
  [ -n "$CURSOR" ] || die "the key has fewer than 6,000 rows in the month"
done
MONTH_ROWS=$(sql -tAc "SELECT count(*) FROM request_log WHERE key_id = '$KEY_ID' AND started_at >= '$MONTH_AGO'")

mkdir -p "$RESULTS"
{
  echo "Usage API on $(sql -tAc 'SELECT count(*) FROM request_log') request_log rows / $(sql -tAc 'SELECT count(*) FROM usage_daily') usage_daily rows"
  echo "(one key has $MONTH_ROWS rows in the month; median of $RUNS runs, ms, wall time seen by curl)"
  printf '%-58s %10s\n' "query" "ms"
  printf '%-58s %10s\n' "/spend/logs one key, one month, first page (100)" "$(time_ms "$LOGS&limit=100")"
  printf '%-58s %10s\n' "/spend/logs one key, one month, page 6,000 rows deep (100)" "$(time_ms "$LOGS&limit=100&cursor=$CURSOR")"
  printf '%-58s %10s\n' "/spend/logs one key, one month, first page (1,000)" "$(time_ms "$LOGS&limit=1000")"
  printf '%-58s %10s\n' "/spend/logs all keys, first page (100)" "$(time_ms "/spend/logs?limit=100")"
  printf '%-58s %10s\n' "/spend/logs one user, one month, first page (100)" "$(time_ms "/spend/logs?user_id=user-3&start_date=$MONTH_AGO&limit=100")"
  printf '%-58s %10s\n' "/usage?group_by=day, 90 days" "$(time_ms "/usage?group_by=day&start_date=$QUARTER_AGO&end_date=$TODAY")"
  printf '%-58s %10s\n' "/usage?group_by=key,model, 90 days" "$(time_ms "/usage?group_by=key,model&start_date=$QUARTER_AGO&end_date=$TODAY")"
  printf '%-58s %10s\n' "/usage?group_by=day&api_key=…, 90 days" "$(time_ms "/usage?group_by=day&api_key=$KEY_HASH&start_date=$QUARTER_AGO&end_date=$TODAY")"
  printf '%-58s %10s\n' "/key/daily/activity, 90 days" "$(time_ms "/key/daily/activity?start_date=$QUARTER_AGO&end_date=$TODAY")"
} | tee "$RESULTS/usage-queries.txt"

# --- Dashboard pages ---------------------------------------------------------------------------------
# Sign in as a browser does: the sign-in form's token and cookie, then the master key for a session cookie.
JAR="$TMP/cookies"
SIGNIN_TOKEN=$(curl -s -c "$JAR" "$BASE/ui/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" --data-urlencode "master_key=$MASTER_KEY" \
  --data-urlencode "csrf=$SIGNIN_TOKEN" "$BASE/ui/login")" = 303 ] || die "dashboard sign-in failed"

# page_ms PATH -> median wall time in ms of RUNS GETs of a dashboard page (after one warm-up), each a 200.
page_ms() {
  local path=$1 times=() code t
  curl -s -o /dev/null -b "$JAR" "$BASE$path"
  for _ in $(seq 1 "$RUNS"); do
    read -r code t < <(curl -s -o "$TMP/page.html" -w '%{http_code} %{time_total}\n' -b "$JAR" "$BASE$path")
    [ "$code" = 200 ] || die "GET $path answered $code: $(head -c 300 "$TMP/page.html")"
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$RUNS" '{a[NR]=$1} END {printf "%.1f", a[int((n+1)/2)] * 1000}'
}
REQUEST_ID=$(sql -tAc "SELECT request_id FROM request_log WHERE key_id = '$KEY_ID' ORDER BY started_at DESC LIMIT 1")
{
  echo
  echo "Dashboard pages on the same data (median of $RUNS runs, ms)"
  printf '%-58s %10s\n' "page" "ms"
  printf '%-58s %10s\n' "/ui/overview (24 h, hourly from request_log)" "$(page_ms "/ui/overview")"
  printf '%-58s %10s\n' "/ui/overview?range=30d (daily from usage_daily)" "$(page_ms "/ui/overview?range=30d")"
  printf '%-58s %10s\n' "/ui/keys" "$(page_ms "/ui/keys")"
  printf '%-58s %10s\n' "/ui/log (first page, 50 rows)" "$(page_ms "/ui/log")"
  printf '%-58s %10s\n' "/ui/log one key, one month" "$(page_ms "/ui/log?api_key=$KEY_HASH&start_date=$MONTH_AGO")"
  printf '%-58s %10s\n' "/ui/log one key, 6,000 rows deep via cursor" "$(page_ms "/ui/log?api_key=$KEY_HASH&start_date=$MONTH_AGO&end_date=$TODAY&cursor=$CURSOR")"
  printf '%-58s %10s\n' "/ui/log/<id> (a request's detail)" "$(page_ms "/ui/log/$REQUEST_ID")"
  printf '%-58s %10s\n' "/ui/usage?group_by=day (30 days)" "$(page_ms "/ui/usage?group_by=day")"
  printf '%-58s %10s\n' "/ui/usage?group_by=key (30 days)" "$(page_ms "/ui/usage?group_by=key")"
  printf '%-58s %10s\n' "/ui/users" "$(page_ms "/ui/users")"
  printf '%-58s %10s\n' "/ui/teams" "$(page_ms "/ui/teams")"
  printf '%-58s %10s\n' "/ui/audit" "$(page_ms "/ui/audit")"
} | tee -a "$RESULTS/usage-queries.txt"

# --- Plans of the same queries ---------------------------------------------------------------------
CURSOR_TEXT=$(python3 -c "import base64,sys; c=sys.argv[1]; print(base64.urlsafe_b64decode(c + '=' * (-len(c) % 4)).decode())" "$CURSOR")
CURSOR_US=$(echo "$CURSOR_TEXT" | cut -d: -f2)
CURSOR_ID=$(echo "$CURSOR_TEXT" | cut -d: -f3-)
HIST_SUMS=$(python3 -c "print(','.join('sum(duration_hist[%d])' % i for i in range(1, 61)))")
{
  echo "== /spend/logs one key, first page"
  sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM request_log WHERE key_id = '$KEY_ID'
          AND started_at >= '$MONTH_AGO'::timestamptz AND started_at < '$TODAY'::date + 1
          ORDER BY started_at DESC, request_id DESC LIMIT 101"
  echo "== /spend/logs one key, deep page"
  sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM request_log WHERE key_id = '$KEY_ID'
          AND started_at >= '$MONTH_AGO'::timestamptz
          AND (started_at, request_id) < ('epoch'::timestamptz + $CURSOR_US * interval '1 microsecond', '$CURSOR_ID')
          ORDER BY started_at DESC, request_id DESC LIMIT 101"
  echo "== /spend/logs one user"
  sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM request_log WHERE user_id = 'user-3'
          AND started_at >= '$MONTH_AGO'::timestamptz ORDER BY started_at DESC, request_id DESC LIMIT 101"
  echo "== /usage?group_by=day"
  sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT day, sum(requests), ARRAY[$HIST_SUMS] FROM usage_daily
          WHERE day >= '$QUARTER_AGO' AND day <= '$TODAY' GROUP BY day"
  echo "== /usage?group_by=day&api_key="
  sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT day, sum(requests), ARRAY[$HIST_SUMS] FROM usage_daily
          WHERE day >= '$QUARTER_AGO' AND day <= '$TODAY' AND key_id = '$KEY_ID' GROUP BY day"
} >"$RESULTS/usage-queries-plans.txt" 2>&1
log "plans saved to $RESULTS/usage-queries-plans.txt"
grep -E "Index|Seq Scan|Execution Time" "$RESULTS/usage-queries-plans.txt" | sed 's/^/  /' >&2
