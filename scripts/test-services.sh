#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/tsan.sh (not run on its own): starts a private, throwaway
# PostgreSQL + Redis (scripts/services.sh, no fsync) in a fresh temp dir, exports what the tests read
# (DATABASE_URL, REDIS_URL, TOLLGATE_TEST_SERVICES_DIR and _SCRIPT, with which outage tests stop and
# start them), and stops them and removes the dir when the calling script exits.
#
# start_test_services NAME: the temp dir is ${TMPDIR:-/tmp}/NAME.XXXXXX; sets TMP to it. Expects ROOT
# (the repository) and a log function.
start_test_services() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap stop_test_services EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  SERVICES_EPHEMERAL=1 "$ROOT/scripts/services.sh" start "$TMP" >/dev/null
  # shellcheck source=/dev/null
  source "$TMP/env"
  export DATABASE_URL REDIS_URL
  export TOLLGATE_TEST_SERVICES_DIR="$TMP"
  export TOLLGATE_TEST_SERVICES_SCRIPT="$ROOT/scripts/services.sh"
}

# shellcheck disable=SC2317  # invoked by the trap
stop_test_services() {
  local rc=$?
  # Quietly, so that a caller's last line of output stays its last line.
  "$ROOT/scripts/services.sh" stop "$TMP" 2>/dev/null || log "warning: could not stop the services under $TMP"
  rm -rf "$TMP"
  exit "$rc"
}
