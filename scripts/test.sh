#!/usr/bin/env bash
# test.sh — every test, the one command CI runs (.ci/run): installs what is missing, then
#   1. normal build: cmocka unit tests (ctest), integration tests (real server over HTTP),
#      browser tests (headless Chromium);
#   2. ASan+UBSan build: unit and integration tests again;
#   3. fuzz smoke: each libFuzzer harness for a bounded time on its seed corpus.
# Ends with one line "N passed, N failed". FUZZ_SECONDS (default 20) sets step 3's budget.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps || exit 1
export ETLSCOPE_SHARED=${ETLSCOPE_SHARED:-$(cd .. && pwd)/shared}
[ -d "$ETLSCOPE_SHARED/samples" ] || { echo "test: $ETLSCOPE_SHARED/samples is missing (shared/ must sit beside the repo)"; exit 1; }
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
jobs=$(nproc)
passed=0; failed=0; failures=()

step() { # step NAME COMMAND…: run, count, keep going
  local name=$1; shift
  echo; echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

build() { # build DIR CMAKE-ARGS…
  local dir=$1; shift
  cmake -S . -B "$dir" -DETLSCOPE_SHARED_DIR="$ETLSCOPE_SHARED" "$@" >/dev/null && cmake --build "$dir" -j"$jobs" >/dev/null
}

node_tests() { # node_tests BINARY DIR…
  local bin=$1; shift
  ETLSCOPE_BIN=$bin node --test --test-concurrency=1 "$@"
}

step "build (RelWithDebInfo)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
step "unit tests" ctest --test-dir build --output-on-failure -j"$jobs"
step "integration tests" node_tests "$PWD/build/server/etlscope" tests/integration/
step "browser tests" node_tests "$PWD/build/server/etlscope" tests/browser/

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "build (ASan+UBSan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DETLSCOPE_SANITIZE=ON
step "unit tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure -j"$jobs"
step "integration tests (ASan+UBSan)" node_tests "$PWD/build-asan/server/etlscope" tests/integration/

fuzz() {
  CC=clang cmake -S . -B build-fuzz -DETLSCOPE_SHARED_DIR="$ETLSCOPE_SHARED" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DETLSCOPE_FUZZ=ON >/dev/null && cmake --build build-fuzz --target fuzzers -j"$jobs" >/dev/null || return 1
  local ok=0
  for h in build-fuzz/fuzz/fuzz_*; do
    [ -x "$h" ] || continue
    local name; name=$(basename "$h")
    local corpus="build-fuzz/corpus/$name"; mkdir -p "$corpus"
    fuzz/seed.sh "$name" "$corpus"
    echo "--- $name: ${FUZZ_SECONDS}s, seeds: $(ls "$corpus" | wc -l)"
    local log="build-fuzz/$name.log"
    if "$h" -max_total_time="$FUZZ_SECONDS" -max_len=1048576 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" "$corpus" >"$log" 2>&1; then
      grep -E "^stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs" "$log"
    else
      tail -40 "$log"; echo "$name FOUND A CRASH (artifact in build-fuzz/)"; ok=1
    fi
  done
  return $ok
}
step "fuzz smoke" fuzz

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
