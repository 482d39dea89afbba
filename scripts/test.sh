#!/usr/bin/env bash
# THE test command for Tollgate: `scripts/test.sh` (CI runs it through .ci/run).
#
# What it does:
#   1. installs missing system packages (scripts/install-deps.sh) and validates deploy/
#      (scripts/check-deploy.sh: docker-compose config, Dockerfile packages = tested packages);
#   2. prepares a Python venv at .build-venv/ with the SDK clients the tests drive (cached);
#   3. builds the package and its tests (`swift build --build-tests`), then (without arguments) runs
#      each fuzz target for 10 s (scripts/fuzz.sh; docs/fuzzing.md);
#   4. starts a private PostgreSQL + Redis in a fresh temp dir (scripts/services.sh), stopped and
#      removed again on any exit;
#   5. runs `swift test` with DATABASE_URL, REDIS_URL, TOLLGATE_TEST_SERVICES_DIR and
#      TOLLGATE_TEST_PYTHON exported, output tee'd to .build-test/swift-test.log;
#   6. fails if swift test fails, if any test was skipped, or if no test of the IntegrationTests
#      target ran; ends with the plain line `N passed, M failed` for CI tooling.
#
# Extra arguments are passed to `swift test` (e.g. `scripts/test.sh --filter IntegrationTests`);
# with a --filter the "IntegrationTests must have run" check is skipped.
set -euo pipefail

# Repo root, from this script's location; everything below is relative to it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "test.sh: $*" >&2; }

# --- 1. System packages, and the deploy files ---------------------------------------------------
scripts/install-deps.sh
# The compose file validates and the image installs the libraries this build links (no Docker engine needed).
scripts/check-deploy.sh

# --- 2. Python venv for SDK client tests --------------------------------------------------------
# Packages the tests' Python clients need: the official SDKs that Tests/clients/*.py drive
# (SDKClientTests) and Prometheus's parser (OperationsTests). Add to this list when a test needs
# more; the venv is updated on the next run. openai-agents: the Agents SDK (Responses API);
# openai-codex-cli-bin and claude-agent-sdk carry the real Codex and Claude Code binaries (AgentCLITests);
# selenium drives Debian's headless chromium through chromedriver (DashboardBrowserTests).
PY_PACKAGES=(openai anthropic ollama prometheus_client openai-agents openai-codex-cli-bin claude-agent-sdk selenium)
VENV=.build-venv
stamp="$VENV/.tollgate-packages"
want="${PY_PACKAGES[*]}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  # Missing, or broken (e.g. the interpreter it was made from is gone): make it anew.
  log "creating Python venv in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip installing into $VENV: $want"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  echo "$want" >"$stamp"
else
  log "Python venv $VENV up to date ($want)"
fi
TOLLGATE_TEST_PYTHON="$ROOT/$VENV/bin/python"
export TOLLGATE_TEST_PYTHON

# --- 3. Build ------------------------------------------------------------------------------------
log "swift build --build-tests"
swift build --build-tests

# --- 3b. Fuzzing smoke run ----------------------------------------------------------------------
# Every decoder of client (and Ollama) bytes under libFuzzer + AddressSanitizer for 10 s each, after
# replaying every input in fuzz/crashes/; fails on any crash. Longer runs: docs/fuzzing.md.
# Full runs only (no arguments); TOLLGATE_FUZZ_SECONDS=N sets the time per target, 0 skips it.
fuzz_seconds=${TOLLGATE_FUZZ_SECONDS:-$([ "$#" -eq 0 ] && echo 10 || echo 0)}
if [ "$fuzz_seconds" -gt 0 ]; then
  log "scripts/fuzz.sh $fuzz_seconds"
  scripts/fuzz.sh "$fuzz_seconds"
fi

# --- 4. Private services in a temp dir -----------------------------------------------------------
# shellcheck source=scripts/test-services.sh
source "$ROOT/scripts/test-services.sh"
start_test_services tollgate-test
log "services: DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"

# Screenshots of each dashboard page from the browser test (DashboardBrowserTests), for a reviewer to look at.
TOLLGATE_SCREENSHOTS=${TOLLGATE_SCREENSHOTS:-$ROOT/.build/screenshots}
export TOLLGATE_SCREENSHOTS
log "dashboard screenshots: $TOLLGATE_SCREENSHOTS"

# --- 5. Run the tests ----------------------------------------------------------------------------
OUT=.build-test
mkdir -p "$OUT"
LOG=$OUT/swift-test.log
XUNIT=$OUT/xunit.xml                   # Swift Testing writes $OUT/xunit-swift-testing.xml
rm -f "$OUT"/xunit*.xml
# Suites that measure how fast something happens (e.g. "Ollama's connection closes within 100 ms of the
# client's", "a stalled stream ends within its 1 s idle deadline", "a frozen Redis's queued commands fail
# at their 500 ms deadline", "at most 2 streams in flight per backend") run after the main pass, in quiet
# passes of a few suites each: beside ninety other suites on a 2-core machine their deadlines would measure
# the machine, not the gateway. With explicit arguments, one pass runs whatever they select.
# The suites that start private PostgreSQL and Redis clusters of their own (initdb, a frozen Redis) run
# apart from the ones that time streams; so do those whose change must reach a second `tollgate serve`
# process within 1 s, and the dashboard's sign-in with Redis away.
QUIET_PASSES=(
  'ClientDisconnectTests|SlowStreamTests|ChaosTests'
  'PostgresDeadlineTests|RedisQueueTests'
  'UpstreamTimeoutTests|CurlEngineTests|ErrorResponseTests'
  'ClientLimitsTests|KeyFloodTests|LimitsTests|JournalHealthTests'
  'FleetTests|FleetFailoverTests'
  'TeamTests|RevocationTests|DashboardRedisOutageTests'
)
all_quiet=$(IFS='|'; echo "${QUIET_PASSES[*]}")
log "swift test (log: $LOG)"
set +e
if [ "$#" -eq 0 ]; then
  swift test --skip-build --xunit-output "$XUNIT" --skip "$all_quiet" 2>&1 | tee "$LOG"
  test_rc=${PIPESTATUS[0]}
  pass=0
  for suites in "${QUIET_PASSES[@]}"; do
    pass=$((pass + 1))
    log "swift test, quiet pass $pass: $suites"
    swift test --skip-build --xunit-output "$OUT/xunit-quiet$pass.xml" --filter "$suites" 2>&1 | tee -a "$LOG"
    quiet_rc=${PIPESTATUS[0]}
    [ "$test_rc" -ne 0 ] || test_rc=$quiet_rc
  done
else
  swift test --skip-build --xunit-output "$XUNIT" "$@" 2>&1 | tee "$LOG"
  test_rc=${PIPESTATUS[0]}
fi
set -e

# Which tests belong to which target (for the IntegrationTests check). `swift test list` prints
# Module.Type/test (XCTest) and Module.Type/test() or Module.test() (Swift Testing).
swift test list --skip-build >"$OUT/test-list.txt" 2>/dev/null || true

# --- 6. Judge the run ----------------------------------------------------------------------------
filtered=0
for a in "$@"; do
  case "$a" in --filter|--filter=*|--skip|--skip=*) filtered=1 ;; esac
done

# Counts from the Swift Testing xUnit report and XCTest's summary in the log; prints
# "passed failed skipped integration_passed".
read -r passed failed skipped integration <<<"$(python3 - "$LOG" "$OUT/test-list.txt" "$OUT"/xunit*-swift-testing.xml <<'PY'
import os, re, sys
import xml.etree.ElementTree as ET

log_path, list_path = sys.argv[1:3]
xml_paths = [p for p in sys.argv[3:] if os.path.exists(p)]
text = open(log_path, encoding="utf-8", errors="replace").read()
passed = failed = skipped = integration = 0
# Swift Testing's skip line: `➜ Test "name" skipped.` (or `skipped: "reason"`); the word inside a
# test's own name ("malformed entries are skipped, …") is not one.
SKIP_LINE = r'^\S+ Test (?:"[^"\n]*"|\S+) skipped(?:[.:]|$)'

# Swift Testing: one <testcase classname="Module.Suite" or "Module"> per test, in one report per pass.
if xml_paths:
    for xml_path in xml_paths:
        try:
            for tc in ET.parse(xml_path).getroot().iter("testcase"):
                if tc.find("skipped") is not None:
                    skipped += 1
                elif tc.find("failure") is not None or tc.find("error") is not None:
                    failed += 1
                else:
                    passed += 1
                    if tc.get("classname", "").split(".")[0] == "IntegrationTests":
                        integration += 1
        except ET.ParseError:
            failed += 1
else:
    # No report (e.g. a crash): fall back to the console lines.
    passed += len(re.findall(r"^\S+ Test .+ passed after", text, re.M))
    failed += len(re.findall(r"^\S+ Test .+ failed after", text, re.M))
    skipped += len(re.findall(SKIP_LINE, text, re.M))
    m = re.search(r"Test run with (\d+) tests? .* failed", text)
    if m and failed == 0:
        failed = 1

# XCTest: the last "Executed N tests, with [S skipped and] F failures" line is the overall one.
runs = re.findall(r"Executed (\d+) tests?, with (?:(\d+) tests? skipped and )?(\d+) failures?", text)
if runs:
    n, s, f = runs[-1]
    n, s, f = int(n), int(s or 0), int(f)
    passed += n - s - f
    failed += f
    skipped += s
# XCTest cases of the IntegrationTests target: classes listed as IntegrationTests.Class/testX.
xc_classes = set()
if os.path.exists(list_path):
    for line in open(list_path, encoding="utf-8", errors="replace"):
        m = re.match(r"IntegrationTests\.(\w+)/(\w+)$", line.strip())
        if m:
            xc_classes.add(m.group(1))
for cls in re.findall(r"^Test Case '(?:[\w.]+\.)?(\w+)\.\w+' passed", text, re.M):
    if cls in xc_classes:
        integration += 1
# A skip that the report missed still counts as a skip.
if skipped == 0 and re.search(SKIP_LINE + r"|^Test Case '.+' skipped", text, re.M):
    skipped = 1
print(passed, failed, skipped, integration)
PY
)"

: "${passed:=0}" "${failed:=0}" "${skipped:=0}" "${integration:=0}"

status=0
if [ "$test_rc" -ne 0 ]; then
  log "FAIL: swift test exited with $test_rc"
  status=1
  [ "$failed" -gt 0 ] || failed=1
fi
if [ "$skipped" -gt 0 ]; then
  log "FAIL: $skipped test(s) were skipped; every test must run (see lines with 'skipped' in $LOG)"
  status=1
fi
if [ "$filtered" -eq 0 ] && [ "$integration" -eq 0 ]; then
  log "FAIL: no test of the IntegrationTests target ran"
  status=1
fi
if [ "$((passed + failed))" -eq 0 ]; then
  log "FAIL: no test ran at all"
  status=1
fi
[ "$status" -eq 0 ] && log "OK: $integration IntegrationTests test(s) among $passed passed"

# The plain closing line CI tooling reads.
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
