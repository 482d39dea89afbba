#!/usr/bin/env bash
# The tests under ThreadSanitizer: `swift test --sanitize=thread`, with the same private PostgreSQL and
# Redis that scripts/test.sh starts (scripts/services.sh), in its own build folder (.build-tsan).
#
#   scripts/tsan.sh                                   the unit tests (DialectsTests, GatewayTests)
#   scripts/tsan.sh --filter IntegrationTests         any other selection; arguments go to swift test
#
# Fails when swift test fails or when ThreadSanitizer reported anything (a data race, a lock-order
# inversion, ...): the reports are in .build-tsan/tsan-test.log, and each report's two stacks name
# the two accesses. Too slow for every CI run (docs/fuzzing.md has the measured times), so it is a
# separate command. Gateways that integration tests start as child processes run the ordinary debug
# binary (.build/debug/tollgate, built here when missing); in-process servers, clients and the test
# code itself run instrumented.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "tsan.sh: $*" >&2; }

SCRATCH=.build-tsan
LOG=$SCRATCH/tsan-test.log
unit_only=0
[ "$#" -gt 0 ] || { set -- --filter 'DialectsTests|GatewayTests'; unit_only=1; }

scripts/install-deps.sh >/dev/null
start=$(date +%s)
log "swift build --build-tests --sanitize=thread (in $SCRATCH)"
swift build --build-tests --sanitize=thread --scratch-path "$SCRATCH"
log "build took $(($(date +%s) - start)) s"
# Integration tests start the ordinary binary as a child process; unit tests need none.
[ "$unit_only" -eq 1 ] || [ -x .build/debug/tollgate ] || swift build --product tollgate

# The Python SDK clients, when scripts/test.sh has made their venv.
if [ -x .build-venv/bin/python ]; then
  export TOLLGATE_TEST_PYTHON="$ROOT/.build-venv/bin/python"
fi

# shellcheck source=scripts/test-services.sh
source "$ROOT/scripts/test-services.sh"
start_test_services tollgate-tsan

# Keep going after a report so that one run lists every race; reports go to stderr, tee'd to the log.
# No suppressions: every lock is a Locking.Locked (a pthread mutex), which TSan sees. (Swift's
# Synchronization.Mutex is not used: TSan cannot see its contended acquisitions on Linux.)
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
start=$(date +%s)
log "swift test --sanitize=thread $* (log: $LOG)"
set +e
swift test --sanitize=thread --scratch-path "$SCRATCH" --skip-build "$@" 2>&1 | tee "$LOG"
test_rc=${PIPESTATUS[0]}
set -e
log "tests took $(($(date +%s) - start)) s"

reports=$(grep -c '^WARNING: ThreadSanitizer:' "$LOG" || true)
if [ "$reports" -gt 0 ]; then
  log "FAIL: $reports ThreadSanitizer report(s); summaries:"
  grep '^SUMMARY: ThreadSanitizer:' "$LOG" | sort | uniq -c >&2
  exit 1
fi
if [ "$test_rc" -ne 0 ]; then
  log "FAIL: swift test exited with $test_rc"
  exit "$test_rc"
fi
log "OK: no ThreadSanitizer report"
