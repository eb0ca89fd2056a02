#!/usr/bin/env bash
# test.sh — every test, the one command CI runs (.ci/run): installs what is missing, then
#   1. normal build: cmocka unit tests (ctest), integration tests (real server over HTTP),
#      browser tests (headless Chromium), the page timing script in --quick mode, team mode
#      (tests/team: two servers on a PostgreSQL the test starts, and on one SQLite catalog;
#      once, not under the sanitizers: it skips, saying so, without PostgreSQL's binaries);
#   2. ASan+UBSan build: unit and integration tests again;
#   3. Release build with GCC and a clang build, product and tests: unit tests only (they
#      catch what only the optimiser or the other compiler warns about);
#   4. fuzz smoke: each libFuzzer harness for a bounded time on its seed corpus.
# Ends with one line "N passed, N failed". FUZZ_SECONDS (default 6 per harness; longer runs: fuzz/run.sh N) sets step 4's budget.
# Toward the 30-minute budget (2026-12-06: 30.3–30.9 min on a 2-core machine, from 38
# one at a time) by running what is independent side by side, one job a core (TEST_JOBS,
# default nproc), the longest first (tests/slowest_first.txt; ctest's COST in
# tests/CMakeLists.txt) so that no core idles at a step's end: node test files (each starts its own server on an
# ephemeral port with its own temporary directory), ctest, fuzz harnesses (each for its full
# FUZZ_SECONDS). The ASan suites write their traces with the normal build's etlgen: the server
# under test is what ASan checks (etlgen's code runs under ASan in the unit tests).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps || exit 1
export ETLSCOPE_SHARED=${ETLSCOPE_SHARED:-$(cd .. && pwd)/shared}
[ -d "$ETLSCOPE_SHARED/samples" ] || { echo "test: $ETLSCOPE_SHARED/samples is missing (shared/ must sit beside the repo)"; exit 1; }
FUZZ_SECONDS=${FUZZ_SECONDS:-6}
jobs=${TEST_JOBS:-$(nproc)}
passed=0; failed=0; failures=()

step() { # step NAME COMMAND…: run, count, keep going
  local name=$1; shift
  echo; echo "=== $name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
  echo "--- $name: $((SECONDS - t0)) s"
}

build() { # build DIR CMAKE-ARGS…
  local dir=$1; shift
  cmake -S . -B "$dir" -DETLSCOPE_SHARED_DIR="$ETLSCOPE_SHARED" "$@" >/dev/null && cmake --build "$dir" -j"$jobs" >/dev/null
}

slowest_first() { # slowest_first DIR: DIR's *.test.mjs, those in tests/slowest_first.txt
  # first in its order, then the rest in name order; each file once
  local dir=${1%/} f
  declare -A listed=()
  while read -r f; do
    case $f in "$dir"/*.test.mjs) [ -f "$f" ] && { listed[$f]=1; echo "$f"; } ;; esac
  done < <(grep -v '^#' tests/slowest_first.txt)
  for f in "$dir"/*.test.mjs; do [ -n "${listed[$f]:-}" ] || echo "$f"; done
}

node_tests() { # node_tests BINARY DIR
  local bin=$1 fixtures rc files; shift
  mapfile -t files < <(slowest_first "$1")
  # traces every file of the suite shares, uploaded once by it (tests/support/story.mjs)
  fixtures=$(mktemp -d "${TMPDIR:-/tmp}/etlscope-fixtures-XXXXXX") || return 1
  ETLSCOPE_FIXTURES=$fixtures ETLSCOPE_BIN=$bin node --test --test-concurrency="$jobs" "${files[@]}"
  rc=$?; rm -rf "$fixtures"; return $rc
}

step "build (RelWithDebInfo)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
step "unit tests" ctest --test-dir build --output-on-failure -j"$jobs"
step "integration tests" node_tests "$PWD/build/server/etlscope" tests/integration/
step "browser tests" node_tests "$PWD/build/server/etlscope" tests/browser/
step "team mode tests (two servers; PostgreSQL and SQLite catalogs)" node_tests "$PWD/build/server/etlscope" tests/team/
step "page timing script (bench/pages.mjs --quick)" env ETLSCOPE_BIN="$PWD/build/server/etlscope" node bench/pages.mjs --quick

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -O1, as AddressSanitizer's documentation advises for reasonable speed (asserts stay on):
# at -O0 the sanitized suites were a third of the CI's time
step "build (ASan+UBSan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DETLSCOPE_SANITIZE=ON "-DCMAKE_C_FLAGS_DEBUG=-g -O1" "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1"
step "unit tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure -j"$jobs"
export ETLGEN_BIN=$PWD/build/tools/etlgen/etlgen
step "integration tests (ASan+UBSan, LeakSanitizer)" node_tests "$PWD/build-asan/server/etlscope" tests/integration/
step "browser tests (ASan+UBSan)" node_tests "$PWD/build-asan/server/etlscope" tests/browser/

step "build (Release, GCC)" build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
step "unit tests (Release)" ctest --test-dir build-release --output-on-failure -j"$jobs"
step "build (clang)" build build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
step "unit tests (clang)" ctest --test-dir build-clang --output-on-failure -j"$jobs"

step "fuzz smoke" env FUZZ_JOBS="$jobs" fuzz/run.sh "$FUZZ_SECONDS"

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
