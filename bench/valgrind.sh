#!/usr/bin/env bash
# Prints the directory holding a `valgrind` that can run Tollgate.
#
# Debian 12's valgrind (3.19) dies on Swift 6.3 binaries. 3.22 and later run them, and Debian 13 ships
# 3.24: when the system's valgrind is older than 3.22, this fetches Debian 13's package from the Debian
# mirror (the same host apt uses), checks it against the SHA-256 in Debian's own package index, and
# unpacks it into .build-valgrind/ (nothing is installed system-wide). The caller must export
# VALGRIND_LIB="$dir/../libexec/valgrind" when the printed directory is under .build-valgrind.
#
# The tools are static executables, and the launcher needs nothing newer than Debian 12's libc offers;
# its vgdb does (glibc 2.38), so drive it with the system's callgrind_control and vgdb, whose protocol
# is the same.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEB_URL=http://deb.debian.org/debian/pool/main/v/valgrind/valgrind_3.24.0-3_amd64.deb
DEB_SHA256=0359e30820ccee7ee5c8d4c951ca276e3978b18f157d71bd77981de05b344907
DEST=$ROOT/.build-valgrind

# The system's, when it is 3.22 or later.
if command -v valgrind >/dev/null; then
  version=$(valgrind --version | sed 's/^valgrind-//')
  if [ "$(printf '%s\n3.22\n' "$version" | sort -V | head -n 1)" = "3.22" ]; then
    dirname "$(command -v valgrind)"
    exit 0
  fi
fi

if [ ! -x "$DEST/usr/bin/valgrind" ]; then
  [ "$(uname -m)" = x86_64 ] || { echo "valgrind.sh: only x86_64 is handled; install valgrind 3.22 or later" >&2; exit 1; }
  mkdir -p "$DEST"
  curl -fsS --max-time 300 -o "$DEST/valgrind.deb" "$DEB_URL"
  echo "$DEB_SHA256  $DEST/valgrind.deb" | sha256sum -c --quiet -
  dpkg-deb -x "$DEST/valgrind.deb" "$DEST"
  rm -f "$DEST/valgrind.deb"
fi
echo "$DEST/usr/bin"
