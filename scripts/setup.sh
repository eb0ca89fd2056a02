#!/usr/bin/env bash
# setup.sh — the newcomer's one command: install what is missing (Debian packages, npm
# packages), build, load demo runs, and serve the dashboard on http://127.0.0.1:8080/.
#   scripts/setup.sh            everything, then serve (Ctrl-C stops)
#   scripts/setup.sh --deps     only install what is missing (used by scripts/test.sh)
#   scripts/setup.sh --build    install and build, do not serve
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

APT_PACKAGES=(build-essential cmake pkg-config libcivetweb-dev libcjson-dev libsqlite3-dev
              libcmocka-dev libdouble-conversion-dev libssl-dev sqlite3 openssl clang chromium wrk curl locales
              lld llvm llvm-dev libcurl4-openssl-dev libmspack-dev gcab libxml2-utils libexpat1-dev
              libprotobuf-c-dev protobuf-c-compiler zlib1g-dev
              libpq-dev postgresql)  # team mode's catalog (docs/team.md) and its tests
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# A comma-decimal locale, so the tests can show that parsing ignores the process locale.
if ! locale -a 2>/dev/null | grep -i '^de_DE\.utf-\?8$' >/dev/null; then
  echo "setup: generating locale de_DE.UTF-8"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (Chart.js, test tooling)"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ "$mode" = "--deps" ] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
[ "$mode" = "--build" ] && exit 0

mkdir -p data
if [ ! -f data/etlscope.db ]; then
  build/server/etlscope demo --db data/etlscope.db --data-dir data/spool
fi
echo "setup: serving http://127.0.0.1:8080/ (Ctrl-C stops)"
exec build/server/etlscope serve --listen 127.0.0.1:8080 --db data/etlscope.db --data-dir data/spool
