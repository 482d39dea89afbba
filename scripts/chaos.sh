#!/usr/bin/env bash
# Runs the chaos test (Tests/IntegrationTests/ChaosTests.swift, docs/chaos.md) N times in a row through the
# test command, and stops at the first failing run.
#
# Usage: scripts/chaos.sh [N]     N defaults to 3 ("passes three times in a row", issue #11)
#
# Each run is one `scripts/test.sh --filter ChaosTests` (its own private services, a build if needed); the
# output of run K is kept in .build-test/chaos-K.log. Exit status 0 only if all N runs passed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

runs=${1:-3}
case "$runs" in
  ''|*[!0-9]*|0) echo "usage: scripts/chaos.sh [N]   (N a positive integer)" >&2; exit 2 ;;
esac

mkdir -p .build-test
for run in $(seq 1 "$runs"); do
  log=.build-test/chaos-$run.log
  echo "chaos.sh: run $run of $runs (log: $log)" >&2
  started=$(date +%s)
  if ! scripts/test.sh --filter ChaosTests >"$log" 2>&1; then
    echo "chaos.sh: run $run of $runs FAILED after $(( $(date +%s) - started )) s; the failures:" >&2
    # The summary, then each recorded issue with its indented examples, then the verdict lines.
    awk '/^chaos: |^  (outcomes|timeline|ready at)/ { print; next }
         /recorded an issue|error:/ { keep = 1; print; next }
         keep && (/^↳/ || /^    /) { print; next }
         { keep = 0 }
         /^✘ Test run|^test\.sh: FAIL/ { print }' "$log" | head -80 >&2 || true
    exit 1
  fi
  echo "chaos.sh: run $run of $runs passed in $(( $(date +%s) - started )) s; $(grep -E '^chaos: ' "$log" | head -1)" >&2
done
echo "chaos.sh: $runs of $runs runs passed in a row" >&2
