#!/usr/bin/env bash
# Checks the deploy files without a Docker engine:
#   - deploy/docker-compose.yml validates with the docker-compose CLI (v1.29 from Debian 12, installed
#     with apt when missing; also `docker compose` v2 when that plugin is present), with dummy secrets,
#     and refuses to render when a secret is missing;
#   - the -dev packages deploy/Dockerfile installs for the C libraries are exactly those of
#     scripts/install-deps.sh, and the runtime stage installs their runtime counterparts;
#   - .env.example declares every variable the compose file uses; the ignore file keeps the usual
#     junk out of the build context.
# Prints "deploy check: OK" and exits 0 when everything holds; otherwise says what is wrong, exits 1.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deploy="$repo/deploy"
dockerfile="$deploy/Dockerfile"
compose="$deploy/docker-compose.yml"
env_example="$deploy/.env.example"
ignore_file="$deploy/Dockerfile.dockerignore"
install_deps="$repo/scripts/install-deps.sh"

# The runtime package each build-time -dev package needs (Debian 12 names).
declare -A runtime_of=(
  [libpq-dev]=libpq5
  [libhiredis-dev]=libhiredis0.14
  [libcurl4-openssl-dev]=libcurl4
)

failures=0
fail() { echo "deploy check: FAIL: $*" >&2; failures=$((failures + 1)); }
note() { echo "deploy check: $*"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for f in "$dockerfile" "$ignore_file" "$compose" "$env_example" "$deploy/README.md" "$install_deps"; do
  [ -f "$f" ] || { echo "deploy check: FAIL: missing ${f#"$repo"/}" >&2; exit 1; }
done

# ---------------------------------------------------------------------------------------------------
# Package lists
# ---------------------------------------------------------------------------------------------------

# The words of the packages=( ... ) array in install-deps.sh, comments dropped.
install_deps_packages() {
  awk '
    /^[[:space:]]*packages=\(/ { inside = 1; sub(/^[^(]*\(/, ""); }
    inside {
      line = $0
      sub(/#.*/, "", line)
      done = sub(/\).*/, "", line)
      print line
      if (done) exit
    }' "$install_deps" | tr -s '[:space:]' '\n' | sed '/^$/d'
}

# "<stage number> <package>" for every package an `apt-get install` in the Dockerfile names.
# Stages are numbered from 1 in FROM order; continuation lines are joined and comment lines dropped first.
dockerfile_packages() {
  grep -v '^[[:space:]]*#' "$dockerfile" \
    | sed -e ':a' -e '/\\$/N' -e 's/\\\n/ /' -e 'ta' \
    | awk '
      toupper($1) == "FROM" { stage++ ; next }
      toupper($1) == "RUN" {
        line = $0
        gsub(/&&|\|\||;|\|/, "\n", line)
        n = split(line, commands, "\n")
        for (c = 1; c <= n; c++) {
          count = split(commands[c], w, /[[:space:]]+/)
          seen_apt = 0; seen_install = 0
          for (i = 1; i <= count; i++) {
            if (w[i] == "") continue
            if (!seen_apt) { if (w[i] ~ /(^|\/)apt(-get)?$/) seen_apt = 1; continue }
            if (!seen_install) { if (w[i] == "install") seen_install = 1; continue }
            if (w[i] ~ /^-/) continue
            print stage, w[i]
          }
        }
      }'
}

# C-library build packages: the -dev packages plus pkg-config, which finds them.
is_build_package() { [[ "$1" == *-dev || "$1" == pkg-config ]]; }

mapfile -t deps_all < <(install_deps_packages)
mapfile -t docker_all < <(dockerfile_packages)

[ "${#deps_all[@]}" -gt 0 ] || fail "found no packages=( ... ) list in scripts/install-deps.sh"
[ "${#docker_all[@]}" -gt 0 ] || fail "found no apt-get install in deploy/Dockerfile"

stages="$(grep -ciE '^[[:space:]]*FROM[[:space:]]' "$dockerfile" || true)"
[ "$stages" -ge 2 ] || fail "deploy/Dockerfile should have a build stage and a runtime stage (found $stages FROM)"

deps_build=() ; docker_build=() ; docker_runtime=()
for p in "${deps_all[@]}"; do is_build_package "$p" && deps_build+=("$p"); done
for entry in "${docker_all[@]}"; do
  stage="${entry%% *}" ; p="${entry#* }"
  if [ "$stage" = 1 ]; then
    is_build_package "$p" && docker_build+=("$p")
  elif [ "$stage" = "$stages" ]; then
    docker_runtime+=("$p")
  fi
done

contains() { local needle="$1"; shift; local x; for x in "$@"; do [ "$x" = "$needle" ] && return 0; done; return 1; }

for p in "${docker_build[@]}"; do
  contains "$p" "${deps_build[@]}" \
    || fail "deploy/Dockerfile (build stage) installs $p, but scripts/install-deps.sh does not: the image would build against a library the tested build does not use"
done
for p in "${deps_build[@]}"; do
  contains "$p" "${docker_build[@]}" \
    || fail "scripts/install-deps.sh installs $p, but the build stage of deploy/Dockerfile does not: add it to the apt-get install there"
done

for p in "${docker_build[@]}"; do
  [ "$p" = pkg-config ] && continue
  runtime="${runtime_of[$p]:-}"
  if [ -z "$runtime" ]; then
    fail "no known runtime package for $p: add it to runtime_of in scripts/check-deploy.sh and to the runtime stage of deploy/Dockerfile"
  elif ! contains "$runtime" "${docker_runtime[@]}"; then
    fail "the runtime stage of deploy/Dockerfile does not install $runtime (needed at run time by what $p builds against)"
  fi
done
for p in "${docker_runtime[@]}"; do
  [[ "$p" == *-dev ]] && fail "the runtime stage of deploy/Dockerfile installs the build package $p"
done

# Foundation's optional modules bring shared libraries of their own, even with --static-swift-stdlib.
if grep -rqE '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|internal|package)[[:space:]]+)?import[[:space:]]+FoundationXML' "$repo/Sources" 2>/dev/null \
   && ! contains libxml2 "${docker_runtime[@]}"; then
  fail "Sources import FoundationXML, which needs libxml2 at run time: add it to the runtime stage of deploy/Dockerfile"
fi
if grep -rqE '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|internal|package)[[:space:]]+)?import[[:space:]]+FoundationNetworking' "$repo/Sources" 2>/dev/null \
   && ! contains libcurl4 "${docker_runtime[@]}"; then
  fail "Sources import FoundationNetworking, which needs libcurl4 at run time: add it to the runtime stage of deploy/Dockerfile"
fi

# On Debian 12 with package lists present, the names must exist in bookworm.
if grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null && apt-cache show libc6 >/dev/null 2>&1; then
  for p in "${docker_build[@]}" "${docker_runtime[@]}"; do
    apt-cache show --no-all-versions "$p" >/dev/null 2>&1 \
      || fail "deploy/Dockerfile installs $p, which is not a Debian 12 (bookworm) package"
  done
fi

note "packages: build ${docker_build[*]}; runtime ${docker_runtime[*]}"

# ---------------------------------------------------------------------------------------------------
# Dockerfile and ignore-file essentials
# ---------------------------------------------------------------------------------------------------

for pattern in '^ENTRYPOINT \["/app/bin/tollgate"\]' '^CMD \["serve"\]' '^EXPOSE 4000$' '^USER tollgate' \
               '^HEALTHCHECK .*' 'http://127\.0\.0\.1:4000/health/live' '^STOPSIGNAL SIGTERM$' \
               '--static-swift-stdlib' 'TOLLGATE_CONFIG=/app/config/tollgate\.yaml' 'TOLLGATE_DATA_DIR=/app/data' \
               '^FROM debian:bookworm-slim$'; do
  grep -qE -- "$pattern" "$dockerfile" || fail "deploy/Dockerfile lacks: $pattern"
done
for pattern in .build .git data bench/results; do
  grep -qxF -- "$pattern" "$ignore_file" || fail "deploy/Dockerfile.dockerignore does not exclude $pattern"
done

# ---------------------------------------------------------------------------------------------------
# Compose file
# ---------------------------------------------------------------------------------------------------

# Every ${VAR} of the compose file must be declared in .env.example.
mapfile -t compose_vars < <(grep -v '^[[:space:]]*#' "$compose" | grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*' | cut -c3- | sort -u)
for v in "${compose_vars[@]}"; do
  grep -qE "^${v}=" "$env_example" || fail "deploy/docker-compose.yml uses \${$v}, which deploy/.env.example does not declare"
done
for v in TOLLGATE_MASTER_KEY POSTGRES_PASSWORD TOLLGATE_PORT TOLLGATE_LOG_FORMAT; do
  grep -qE "^${v}=" "$env_example" || fail "deploy/.env.example does not declare $v"
done

if ! command -v docker-compose >/dev/null 2>&1; then
  note "installing docker-compose (apt) to validate the compose file"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

# A throw-away copy of the layout: <tmp>/repo/deploy/{docker-compose.yml,Dockerfile,.env}. The real
# deploy/.env (if any) is neither read nor touched, and `build.context: ..` points at a real folder.
mkdir -p "$tmp/repo/deploy"
cp "$compose" "$dockerfile" "$tmp/repo/deploy/"
dummy_key="sk-check-deploy-0123456789abcdef"
dummy_password="check-deploy-password"
sed -E -e "s/^TOLLGATE_MASTER_KEY=.*/TOLLGATE_MASTER_KEY=$dummy_key/" \
       -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$dummy_password/" \
       -e 's/^([A-Za-z_][A-Za-z0-9_]*)=$/\1=check-deploy-dummy/' \
       "$env_example" > "$tmp/repo/deploy/.env"

# A clean environment, so the caller's own variables cannot stand in for .env.
compose_v1() {
  env -i PATH="$PATH" HOME="$HOME" docker-compose \
    --project-directory "$tmp/repo/deploy" -f "$tmp/repo/deploy/docker-compose.yml" \
    --env-file "$1" "${@:2}"
}

if ! compose_v1 "$tmp/repo/deploy/.env" config -q 2>"$tmp/v1.err"; then
  fail "docker-compose $(docker-compose version --short 2>/dev/null) rejects deploy/docker-compose.yml: $(cat "$tmp/v1.err")"
else
  rendered="$(compose_v1 "$tmp/repo/deploy/.env" config 2>/dev/null)"
  grep -qF "postgresql://tollgate:$dummy_password@postgres:5432/tollgate" <<<"$rendered" \
    || fail "rendered compose file lacks the DATABASE_URL built from POSTGRES_PASSWORD"
  grep -qF "TOLLGATE_MASTER_KEY: $dummy_key" <<<"$rendered" \
    || fail "rendered compose file does not pass TOLLGATE_MASTER_KEY from .env"
  grep -qE "driver: nvidia" <<<"$rendered" || fail "rendered compose file lost the NVIDIA GPU reservation"
  [ "$(grep -cE 'condition: service_healthy' <<<"$rendered" || true)" = 2 ] \
    || fail "tollgate should wait for postgres and redis with condition: service_healthy"
  published="$(grep -cE '^[[:space:]]*(- )?published: ' <<<"$rendered" || true)"
  [ "$published" = 1 ] || fail "expected exactly one published port (tollgate's), found $published"
  note "docker-compose $(docker-compose version --short 2>/dev/null): deploy/docker-compose.yml is valid"
fi

# A missing secret must stop the rendering, not produce an empty password.
grep -v '^POSTGRES_PASSWORD=' "$tmp/repo/deploy/.env" > "$tmp/no-password.env"
if compose_v1 "$tmp/no-password.env" config -q >/dev/null 2>&1; then
  fail "deploy/docker-compose.yml renders without POSTGRES_PASSWORD; use \${POSTGRES_PASSWORD:?...}"
fi

# Compose v2, when the plugin is installed.
if docker compose version >/dev/null 2>&1; then
  if ! env -i PATH="$PATH" HOME="$HOME" docker compose --project-directory "$tmp/repo/deploy" \
      -f "$tmp/repo/deploy/docker-compose.yml" --env-file "$tmp/repo/deploy/.env" config -q 2>"$tmp/v2.err"; then
    fail "docker compose (v2) rejects deploy/docker-compose.yml: $(cat "$tmp/v2.err")"
  else
    note "docker compose $(docker compose version --short 2>/dev/null): deploy/docker-compose.yml is valid"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "deploy check: $failures problem(s)" >&2
  exit 1
fi
echo "deploy check: OK"
