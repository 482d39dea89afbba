#!/usr/bin/env bash
# Private PostgreSQL + Redis for Tollgate's development, tests and benchmark.
#
# Usage:
#   scripts/services.sh start DIR            create (if new) and start both; prints the env lines
#   scripts/services.sh stop DIR             stop both (fast shutdown); no error if not running
#   scripts/services.sh start-postgres DIR   start PostgreSQL only, on the port it had before
#   scripts/services.sh stop-postgres DIR    stop PostgreSQL only (the port is kept for start-postgres)
#   scripts/services.sh start-redis DIR      start Redis only, on the port it had before
#   scripts/services.sh stop-redis DIR       stop Redis only (the port is kept for start-redis)
#   scripts/services.sh status DIR           say what is running; exit 0 only if both are
#   scripts/services.sh env DIR              print DIR/env (the two export lines)
#
# `start` prints to stdout exactly:
#   export DATABASE_URL=postgresql://tollgate@127.0.0.1:PORT/tollgate
#   export REDIS_URL=redis://127.0.0.1:PORT/0
# and writes the same lines to DIR/env, so callers can `eval "$(scripts/services.sh start DIR)"`
# or `source DIR/env`. Everything else goes to stderr.
#
# Ports: a free TCP port is chosen for each service the first time it starts under DIR, unless
# PGPORT_WANTED / REDIS_PORT_WANTED are set. The chosen ports are remembered (DIR/pg.port,
# DIR/redis.port) so a restart (stop/start, stop-redis/start-redis, ...) keeps them. If a
# remembered port has meanwhile been taken by some other program, `start` picks a new one
# (start-postgres / start-redis do not: outage tests rely on the port staying the same).
#
# Layout under DIR:
#   env                  the export lines
#   pg.port, redis.port  remembered ports
#   pg/data              PostgreSQL cluster (trust auth on the unix socket and 127.0.0.1)
#   pg/sock              PostgreSQL unix socket directory
#   pg/postgres.log      PostgreSQL server log
#   redis/               Redis working dir, redis.pid, redis.log
#
# PostgreSQL refuses to run as root: when this script runs as root, initdb/pg_ctl run as the
# `postgres` system user (created by Debian's postgresql package), and DIR/pg is owned by it.
#
# Optional: SERVICES_EPHEMERAL=1 at creation turns off fsync & co. in PostgreSQL (for throwaway
# test clusters; never for data you want to keep).
set -euo pipefail

# Superuser role and database created in the cluster; trust auth, so no password.
PG_ROLE=tollgate
PG_DB=tollgate

log() { echo "services: $*" >&2; }
die() { echo "services: error: $*" >&2; exit 1; }

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
[ -n "$2" ] || usage
# DIR as an absolute path (it is created if missing, except for stop commands).
case "$cmd" in
  stop|stop-postgres|stop-redis|status|env)
    if [ ! -d "$2" ]; then
      if [ "$cmd" = status ]; then log "$2 does not exist"; exit 1; fi
      if [ "$cmd" = env ]; then die "$2 does not exist"; fi
      exit 0   # nothing was ever started there
    fi ;;
  start|start-postgres|start-redis) mkdir -p "$2" ;;
  *) usage ;;
esac
DIR=$(cd "$2" && pwd)

PG_DIR=$DIR/pg
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR/sock
PG_LOG=$PG_DIR/postgres.log
REDIS_DIR=$DIR/redis
REDIS_PID=$REDIS_DIR/redis.pid

# --- PostgreSQL binaries: the newest /usr/lib/postgresql/N/bin (Debian), else whatever is on PATH.
PG_BIN=$(
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ]; then printf '%s\n' "$d"; fi
  done | sort -V | tail -n 1
)
pgbin() {  # pgbin NAME -> path of the PostgreSQL tool NAME
  if [ -n "$PG_BIN" ]; then echo "$PG_BIN/$1"
  else command -v "$1" || die "PostgreSQL tool $1 not found (run scripts/install-deps.sh)"; fi
}

# --- Run a PostgreSQL server tool as the right user (postgres when we are root), from a
# directory that user can read (initdb fails if it cannot read the current directory).
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
as_pg() {
  if [ "$IS_ROOT" -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# --- Start daemons with no inherited file descriptors above stderr. Otherwise a server keeps open
# whatever its caller had open: our lock (fd 9), or the pipe/socket a test harness uses to notice
# that the command it ran has finished (a test calling `services.sh start-redis` would then hang).
without_extra_fds() {
  (
    for fd in /dev/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    "$@"   # a command or a function (as_pg), run in this fd-less subshell
  )
}

# --- Serialise concurrent invocations on the same DIR (e.g. two test runs sharing data/services).
# The lock is fd 9; the servers are started by without_extra_fds, so they do not inherit it.
if command -v flock >/dev/null 2>&1; then
  exec 9>>"$DIR/.lock"
  # Not fatal: a server started by an older version of this script may still hold it.
  flock -w 30 9 || log "warning: could not get the lock on $DIR/.lock in 30s; going on without it"
fi

# --- Ports --------------------------------------------------------------------------------------

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    # Fallback: probe random high ports until one refuses connections.
    local p i
    for i in $(seq 1 200); do
      p=$((20000 + RANDOM % 40000))
      port_in_use "$p" || { echo "$p"; return 0; }
    done
    die "could not find a free port"
  fi
}

# port_in_use PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# choose_port NAME WANTED ALLOW_NEW: print the port for service NAME (pg|redis):
# the WANTED one if given, else the remembered one, else a new free one.
# With ALLOW_NEW=1 a remembered port that something else now occupies is replaced.
choose_port() {
  local name=$1 wanted=$2 allow_new=$3 file=$DIR/$1.port port=""
  if [ -n "$wanted" ]; then
    port=$wanted
  elif [ -s "$file" ]; then
    port=$(cat "$file")
    if [ "$allow_new" -eq 1 ] && port_in_use "$port"; then
      log "$name: remembered port $port is taken by another program; choosing a new one"
      port=$(free_port)
    fi
  else
    port=$(free_port)
  fi
  echo "$port" >"$file"
  echo "$port"
}

# --- PostgreSQL ---------------------------------------------------------------------------------

pg_running() {
  [ -f "$PG_DATA/PG_VERSION" ] || return 1
  as_pg "$(pgbin pg_ctl)" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_port() { cat "$DIR/pg.port" 2>/dev/null; }

# pg_init: create the cluster under DIR/pg (once).
pg_init() {
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  mkdir -p "$PG_DIR"
  if [ "$IS_ROOT" -eq 1 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user (install postgresql)"
    chmod a+x "$DIR"   # let the postgres user traverse DIR (mktemp -d makes it 0700)
    chown postgres: "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" 2>/dev/null \
      || die "the postgres user cannot reach $PG_DIR (a parent directory is not traversable); use a DIR under /tmp or a world-traversable path"
  fi
  chmod 700 "$PG_DIR"
  log "postgres: initdb in $PG_DATA"
  as_pg "$(pgbin initdb)" -D "$PG_DATA" -U "$PG_ROLE" --auth=trust -E UTF8 --no-locale \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  # Our settings live in an include file, rewritten at every start (it carries the port).
  printf "\n# Tollgate private cluster settings (scripts/services.sh)\ninclude_if_exists = 'tollgate.conf'\n" \
    | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  if [ "${SERVICES_EPHEMERAL:-0}" = 1 ]; then
    # Throwaway cluster: trade crash safety for speed.
    printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" | as_pg tee "$PG_DATA/ephemeral.conf" >/dev/null
    printf "include_if_exists = 'ephemeral.conf'\n" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
}

# pg_start ALLOW_NEW_PORT
pg_start() {
  pg_init
  if pg_running; then
    log "postgres: already running on port $(pg_port)"
    return 0
  fi
  local port sockdir
  port=$(choose_port pg "${PGPORT_WANTED:-}" "$1")
  port_in_use "$port" && die "postgres: port $port is already in use by another program"
  # Unix socket inside DIR, unless the path would exceed the kernel's 107-byte limit.
  sockdir=$PG_SOCK
  if [ $(( ${#PG_SOCK} + ${#port} + 12 )) -gt 100 ]; then
    log "postgres: $PG_SOCK is too long for a unix socket path; listening on TCP only"
    sockdir=""
  else
    mkdir -p "$PG_SOCK"
    if [ "$IS_ROOT" -eq 1 ]; then chown postgres: "$PG_SOCK"; fi
  fi
  as_pg tee "$PG_DATA/tollgate.conf" >/dev/null <<EOF
# Written by scripts/services.sh at each start; edits are lost.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 1000
EOF
  log "postgres: starting on 127.0.0.1:$port (log: $PG_LOG)"
  if ! without_extra_fds as_pg "$(pgbin pg_ctl)" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 </dev/null >/dev/null; then
    tail -n 20 "$PG_LOG" >&2 || true
    die "postgres did not start"
  fi
  # Wait until it accepts connections over TCP.
  local i
  for i in $(seq 1 120); do
    "$(pgbin pg_isready)" -q -h 127.0.0.1 -p "$port" -U "$PG_ROLE" && break
    [ "$i" -eq 120 ] && die "postgres does not answer on 127.0.0.1:$port"
    sleep 0.25
  done
  # Create the application database if it is missing (first start).
  local psql
  psql=$(pgbin psql)
  if [ "$("$psql" -h 127.0.0.1 -p "$port" -U "$PG_ROLE" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    log "postgres: creating database $PG_DB"
    "$psql" -q -h 127.0.0.1 -p "$port" -U "$PG_ROLE" -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
  fi
}

pg_stop() {
  if pg_running; then
    log "postgres: stopping (fast)"
    as_pg "$(pgbin pg_ctl)" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
  fi
}

# --- Redis --------------------------------------------------------------------------------------

redis_port() { cat "$DIR/redis.port" 2>/dev/null; }

# redis_pid: print the pid of our redis-server if it is alive.
redis_pid() {
  local pid
  [ -s "$REDIS_PID" ] || return 1
  pid=$(cat "$REDIS_PID")
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q redis "/proc/$pid/comm" 2>/dev/null || [ ! -d /proc ] || return 1
  echo "$pid"
}

redis_running() { redis_pid >/dev/null; }

# redis_start ALLOW_NEW_PORT
redis_start() {
  mkdir -p "$REDIS_DIR"
  if redis_running; then
    log "redis: already running on port $(redis_port)"
    return 0
  fi
  local port
  port=$(choose_port redis "${REDIS_PORT_WANTED:-}" "$1")
  port_in_use "$port" && die "redis: port $port is already in use by another program"
  rm -f "$REDIS_PID"
  log "redis: starting on 127.0.0.1:$port (log: $REDIS_DIR/redis.log)"
  without_extra_fds redis-server --port "$port" --bind 127.0.0.1 --dir "$REDIS_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_DIR/redis.log" </dev/null >/dev/null
  local i
  for i in $(seq 1 120); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && redis_running && return 0
    sleep 0.25
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
  die "redis does not answer on 127.0.0.1:$port"
}

redis_stop() {
  local pid i
  pid=$(redis_pid) || return 0
  log "redis: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$REDIS_PID"; return 0; }
    sleep 0.1
  done
  log "redis: still alive after 10s, killing"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$REDIS_PID"
}

# --- env file -----------------------------------------------------------------------------------

write_env() {
  local pgp rp
  pgp=$(pg_port || true)
  rp=$(redis_port || true)
  [ -n "$pgp" ] || die "no postgres port recorded under $DIR"
  [ -n "$rp" ] || die "no redis port recorded under $DIR"
  cat >"$DIR/env.tmp" <<EOF
export DATABASE_URL=postgresql://$PG_ROLE@127.0.0.1:$pgp/$PG_DB
export REDIS_URL=redis://127.0.0.1:$rp/0
EOF
  mv "$DIR/env.tmp" "$DIR/env"
}

# --- Commands -----------------------------------------------------------------------------------

case "$cmd" in
  start)
    pg_start 1
    redis_start 1
    write_env
    cat "$DIR/env"
    ;;
  stop)
    redis_stop
    pg_stop
    ;;
  start-postgres)
    [ -s "$DIR/pg.port" ] || [ -n "${PGPORT_WANTED:-}" ] || die "postgres was never started under $DIR (use start)"
    pg_start 0
    ;;
  stop-postgres) pg_stop ;;
  start-redis)
    [ -s "$DIR/redis.port" ] || [ -n "${REDIS_PORT_WANTED:-}" ] || die "redis was never started under $DIR (use start)"
    redis_start 0
    ;;
  stop-redis) redis_stop ;;
  status)
    rc=0
    if pg_running; then log "postgres: running on 127.0.0.1:$(pg_port)"; else log "postgres: stopped"; rc=1; fi
    if redis_running; then log "redis: running on 127.0.0.1:$(redis_port)"; else log "redis: stopped"; rc=1; fi
    exit "$rc"
    ;;
  env)
    [ -f "$DIR/env" ] || die "no env under $DIR (use start)"
    cat "$DIR/env"
    ;;
esac
