#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ and runs each for SECONDS (default 600).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 10, scripts/fuzz.sh 3600 FuzzJSONParser
#
# Environment:
#   FUZZ_PARALLEL=N   run N targets at a time (default 1; each libFuzzer process uses one core)
#   FUZZ_BUILD=0      skip the build (the binaries in .build-fuzz/release must exist)
#
# Each target starts from its committed seeds (fuzz/corpus/<target>/) plus what earlier runs on this
# machine found (.build-fuzz/corpus/<target>/, never committed), with fuzz/dict/json.dict for the JSON
# targets. An input that crashes a target, breaks one of its invariants, or takes more than 10 s
# is written to fuzz/crashes/<target>/ (crash-*, timeout-*, oom-*). Every file already in fuzz/crashes/
# is replayed first, so a fixed crash that comes back fails at once. Logs: .build-fuzz/logs/<target>.log.
#
# Exits non-zero when any target found a crash. Ends with one line per target:
#   <target>: <seconds> s, <executions> execs, cov <edges>, ft <features>, corpus <units>, <OK|CRASH>
# docs/fuzzing.md explains the targets, their invariants and how to turn a crash into a test.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECONDS_EACH=${1:-600}
shift || true
case "$SECONDS_EACH" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$SECONDS_EACH'" >&2; exit 2 ;; esac

SCRATCH=$ROOT/.build-fuzz
BIN=$SCRATCH/release
log() { echo "fuzz.sh: $*" >&2; }

# The targets fuzz/Package.swift declares, unless named on the command line.
if [ "$#" -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(sed -n 's/^ *"\(Fuzz[A-Za-z0-9]*\)",$/\1/p' fuzz/Package.swift)
fi
[ "${#TARGETS[@]}" -gt 0 ] || { log "no targets found in fuzz/Package.swift"; exit 2; }

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  log "building ${#TARGETS[@]} targets (release, -sanitize=fuzzer,address) in $SCRATCH"
  start=$(date +%s)
  # SwiftPM's --sanitize=fuzzer links libFuzzer's main() (with -Xswiftc alone it links the target's own
  # and the link fails), but compiles without coverage; -Xswiftc -sanitize=fuzzer adds the coverage
  # instrumentation to every module, Dialects included.
  mkdir -p "$SCRATCH"
  # SwiftPM does not notice files added to a path dependency's targets (Tollgate's Dialects, here) and
  # would reuse a build plan without them: drop the plan so that it is made again (the objects stay).
  rm -f "$SCRATCH/release.yaml" "$SCRATCH/release/description.json"
  if ! (cd fuzz && swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer \
    --scratch-path "$SCRATCH") >"$SCRATCH/build.log" 2>&1; then
    grep -v -e 'prohibited flag' -e '__asan_extra_spill_area' "$SCRATCH/build.log" >&2 || true
    log "build failed (full output: $SCRATCH/build.log)"
    exit 1
  fi
  log "build took $(($(date +%s) - start)) s"
fi

mkdir -p "$SCRATCH/logs" fuzz/crashes

# Runs one target; writes its summary line to $SCRATCH/logs/<target>.summary.
run_target() {
  local target=$1 binary=$BIN/$1
  local log_file=$SCRATCH/logs/$target.log summary=$SCRATCH/logs/$target.summary
  local work=$SCRATCH/corpus/$target crashes=fuzz/crashes/$target
  [ -x "$binary" ] || { echo "$target: not built" >"$summary"; return 1; }
  mkdir -p "$work" "$crashes"
  local dict=()
  [ "$target" = FuzzLineSplitter ] || dict=(-dict="$ROOT/fuzz/dict/json.dict")

  # Earlier crashes first: each must now pass.
  : >"$log_file"
  local old=()
  mapfile -t old < <(find fuzz/crashes -type f ! -name '.*' ! -name '*.md' | sort)
  if [ "${#old[@]}" -gt 0 ] && ! "$binary" -runs=0 "${old[@]}" >>"$log_file" 2>&1; then
    echo "$target: CRASH replaying fuzz/crashes (see $log_file)" >"$summary"
    return 1
  fi

  local rc=0
  "$binary" "$work" "fuzz/corpus/$target" "${dict[@]}" \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >>"$log_file" 2>&1 || rc=$?

  local execs cov ft units state=OK
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log_file" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log_file" | tail -1 | cut -d' ' -f2 || true)
  units=$(grep -o 'corp: [0-9]*' "$log_file" | tail -1 | cut -d' ' -f2 || true)
  [ "$rc" -eq 0 ] || state="CRASH (exit $rc; input in $crashes/, log $log_file)"
  echo "$target: $SECONDS_EACH s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus ${units:-?}, $state" >"$summary"
  return "$rc"
}

parallel=${FUZZ_PARALLEL:-1}
log "running ${#TARGETS[@]} targets for $SECONDS_EACH s each, $parallel at a time"
failed=0
pids=()
for target in "${TARGETS[@]}"; do
  rm -f "$SCRATCH/logs/$target.summary"
  run_target "$target" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$parallel" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done

for target in "${TARGETS[@]}"; do cat "$SCRATCH/logs/$target.summary" 2>/dev/null || echo "$target: no result"; done
if [ "$failed" -ne 0 ]; then
  log "FAIL: a target crashed; turn each input in fuzz/crashes/ into a regression test (docs/fuzzing.md)"
  exit 1
fi
log "OK: no crash"
