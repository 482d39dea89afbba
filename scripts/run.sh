#!/usr/bin/env bash
# THE run command for Tollgate: `scripts/run.sh [extra args for `tollgate serve`]`.
#
#   1. installs missing system packages (scripts/install-deps.sh);
#   2. builds the release binaries (`swift build -c release --static-swift-stdlib --product tollgate`, as the
#      production image does, and `--product fake-ollama`,
#      the stand-in Ollama the README's "Try it" starts);
#   3. if DATABASE_URL or REDIS_URL is unset, starts a private PostgreSQL + Redis under
#      data/services/ in this checkout (kept across runs; stop them with
#      `scripts/services.sh stop data/services`) and uses them for whichever of the two is unset;
#   4. if TOLLGATE_MASTER_KEY is unset, uses the key in data/master-key, generating it on the
#      first run;
#   5. checks that Ollama answers at OLLAMA_BASE_URL (default http://127.0.0.1:11434) and says
#      how to use the fake one if not (Tollgate starts anyway; /health/ready will report it);
#   6. execs `.build/release/tollgate serve "$@"` (it applies the database migrations on start).
#      Its usage journal is data/journal in this checkout (TOLLGATE_DATA_DIR overrides data/); it
#      survives restarts, and what PostgreSQL had not taken yet is replayed from it on the next start.
set -euo pipefail

# Repo root, from this script's location; everything below is relative to it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "run.sh: $*" >&2; }

# --- 1. System packages -------------------------------------------------------------------------
scripts/install-deps.sh

# --- 2. Build ------------------------------------------------------------------------------------
# The Swift runtime and Foundation linked in, as deploy/Dockerfile builds it: the binary run here is the one
# production runs (and, with no shared Swift libraries to relocate and no TLS lookups through them, about 5%
# fewer instructions per request and 4 MiB less memory; bench/README.md).
log "swift build -c release --static-swift-stdlib --product tollgate --product fake-ollama"
swift build -c release --static-swift-stdlib --product tollgate
swift build -c release --static-swift-stdlib --product fake-ollama

# --- 3. PostgreSQL and Redis ---------------------------------------------------------------------
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  services_dir=data/services
  log "DATABASE_URL or REDIS_URL unset: using private services under $services_dir"
  user_db=${DATABASE_URL:-}
  user_redis=${REDIS_URL:-}
  scripts/services.sh start "$services_dir" >/dev/null
  # shellcheck source=/dev/null
  source "$services_dir/env"
  # A URL the caller did give wins over the private service's.
  [ -z "$user_db" ] || DATABASE_URL=$user_db
  [ -z "$user_redis" ] || REDIS_URL=$user_redis
  log "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL (stop them: scripts/services.sh stop $services_dir)"
fi
export DATABASE_URL REDIS_URL

# --- 4. Master key -------------------------------------------------------------------------------
# Choice: the generated key lives only in data/master-key (mode 600, gitignored). It is never
# written to logs. On the run that creates it, and only when stdout is a terminal (a person is
# watching, not a log collector), it is shown once so the operator can copy it; afterwards only
# the file's path is printed (read it with `cat data/master-key`).
if [ -z "${TOLLGATE_MASTER_KEY:-}" ]; then
  key_file=data/master-key
  if [ ! -s "$key_file" ]; then
    mkdir -p data
    # 32 random bytes as 64 hex characters.
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key_file")
    chmod 600 "$key_file"
    log "generated a master key in $key_file (mode 600)"
    if [ -t 1 ]; then
      echo "Tollgate master key (shown once; kept in $key_file): $(cat "$key_file")"
    fi
  else
    log "using the master key in $key_file"
  fi
  TOLLGATE_MASTER_KEY=$(cat "$key_file")
fi
export TOLLGATE_MASTER_KEY

# --- 5. Ollama -----------------------------------------------------------------------------------
# Checks the environment's OLLAMA_BASE_URL or Tollgate's default; the variable is passed on only
# if it was set, so a config file's ollama URL is otherwise left in force.
ollama_url=${OLLAMA_BASE_URL:-http://127.0.0.1:11434}
if version=$(curl -sf --max-time 3 "${ollama_url%/}/api/version" 2>/dev/null); then
  log "Ollama answers at $ollama_url: $version"
else
  cat >&2 <<EOF
run.sh: no Ollama answers at $ollama_url (GET /api/version failed).
run.sh: Tollgate starts anyway; chat requests will fail until Ollama is up.
run.sh: To try Tollgate without Ollama, start the fake one in another terminal:
run.sh:     .build/release/fake-ollama --port 11434 &      (built by this script)
run.sh:   and point Tollgate at it with OLLAMA_BASE_URL=http://127.0.0.1:11434 if that is not the default.
EOF
fi

# --- 6. Serve ------------------------------------------------------------------------------------
log "exec .build/release/tollgate serve $*"
exec .build/release/tollgate serve "$@"
