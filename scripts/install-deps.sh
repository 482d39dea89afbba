#!/usr/bin/env bash
# Installs the system packages Tollgate builds, runs and tests with (Debian 12).
# Safe to run repeatedly: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  libpq-dev libhiredis-dev libcurl4-openssl-dev pkg-config   # C libraries Tollgate links
  postgresql redis-server                                      # private services for run and test
  nginx-light wrk valgrind                                     # benchmark: bare reverse proxy, load generator, instruction counts
  python3 python3-venv                                         # SDK client tests
  chromium chromium-driver                                     # dashboard browser tests (selenium, headless)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "tollgate: installing system packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
