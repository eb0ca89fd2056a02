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
# The node steps keep about one core of two busy (they wait on servers, Chromium, timers), so
# the CPU-only steps run beside them, one after another in a background "lane" at nice 10
# (the node tests keep the CPU they ask for, timing probes included; 10, not 19, so that
# other load on the machine does not starve the lane): the ASan build and unit
# tests, the Release and clang builds and unit tests, the fuzz smoke. Each lane step's output
# is kept and printed whole as its own step, where the main line collects it (the ASan build
# before the ASan node suites that need it, the rest at the end), counted as any other step.
# While the main line waits on the lane, the lane runs at nice 0 where the system allows it.
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

# The lane: lane_step runs a step in the background lane (output to $lane/N.log; its result,
# written last, to $lane/N.rc); lane_collect waits for step N, prints it as step() would and
# counts it. A lane that died before writing N.rc counts step N as failed.
lane=$(mktemp -d "${TMPDIR:-/tmp}/etlscope-lane-XXXXXX") || exit 1
lane_pid=
trap 'rm -rf "$lane" "${fixtures_main:-}" "${fixtures_asan:-}"' EXIT
lane_step() { # lane_step N NAME COMMAND…
  local n=$1 name=$2 t0=$SECONDS rc; shift 2
  echo "$name" > "$lane/$n.name"
  { echo; echo "=== $name (beside the node steps)"; "$@"; } > "$lane/$n.log" 2>&1
  rc=$?
  echo "$((SECONDS - t0))" > "$lane/$n.secs"
  echo "$rc" > "$lane/$n.rc.tmp" && mv "$lane/$n.rc.tmp" "$lane/$n.rc"
}
lane_nice() { # lane_nice N: the lane's processes (as they are now) to niceness N; a child
  # forked later inherits its parent's. Lowering it may be refused (no CAP_SYS_NICE): then
  # the lane keeps its niceness.
  local pids=("$lane_pid") i=0 p
  while [ "$i" -lt ${#pids[@]} ]; do
    for p in $(ps -o pid= --ppid "${pids[$i]}"); do pids+=("$p"); done
    i=$((i + 1))
  done
  renice -n "$1" -p "${pids[@]}" >/dev/null 2>&1 || true
}
lane_collect() { # lane_collect N
  local n=$1 name rc
  [ -f "$lane/$n.rc" ] || { lane_nice 0; echo "(waiting for the lane: $(cat "$lane/$n.name" 2>/dev/null))"; }
  while [ ! -f "$lane/$n.rc" ] && kill -0 "$lane_pid" 2>/dev/null; do sleep 1; done
  name=$(cat "$lane/$n.name" 2>/dev/null || echo "lane step $n")
  cat "$lane/$n.log" 2>/dev/null
  rc=$(cat "$lane/$n.rc" 2>/dev/null || echo "lane ended before it")
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
  echo "--- $name: $(cat "$lane/$n.secs" 2>/dev/null || echo '?') s, beside the node steps (exit $rc)"
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

# Traces the node test files share (tests/support/story.mjs), uploaded once per binary under
# test: the first file that needs one (integration compare) makes it, and every later file of
# that binary's suites (browser compare, findings, inside …) starts on a copy of it.
fixtures_main=$(mktemp -d "${TMPDIR:-/tmp}/etlscope-fixtures-XXXXXX") || exit 1
fixtures_asan=$(mktemp -d "${TMPDIR:-/tmp}/etlscope-fixtures-XXXXXX") || exit 1
node_tests() { # node_tests FIXTURES BINARY DIR
  local fixtures=$1 bin=$2 files; shift 2
  mapfile -t files < <(slowest_first "$1")
  ETLSCOPE_FIXTURES=$fixtures ETLSCOPE_BIN=$bin node --test --test-concurrency="$jobs" "${files[@]}"
}

step "build (RelWithDebInfo)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo

( # the lane: CPU-only steps, in the order the main line needs them
  renice -n 10 -p "$BASHPID" >/dev/null # before its first child: all of them inherit it
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # -O1, as AddressSanitizer's documentation advises for reasonable speed (asserts stay on):
  # at -O0 the sanitized suites were a third of the CI's time
  lane_step 1 "build (ASan+UBSan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DETLSCOPE_SANITIZE=ON "-DCMAKE_C_FLAGS_DEBUG=-g -O1" "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1"
  lane_step 2 "unit tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure -j"$jobs"
  lane_step 3 "build (Release, GCC)" build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
  lane_step 4 "unit tests (Release)" ctest --test-dir build-release --output-on-failure -j"$jobs"
  lane_step 5 "build (clang)" build build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  lane_step 6 "unit tests (clang)" ctest --test-dir build-clang --output-on-failure -j"$jobs"
  lane_step 7 "fuzz smoke" env FUZZ_JOBS="$jobs" fuzz/run.sh "$FUZZ_SECONDS"
) & lane_pid=$!
lane_steps=7

step "unit tests" ctest --test-dir build --output-on-failure -j"$jobs"
step "integration tests" node_tests "$fixtures_main" "$PWD/build/server/etlscope" tests/integration/
step "browser tests" node_tests "$fixtures_main" "$PWD/build/server/etlscope" tests/browser/
step "team mode tests (two servers; PostgreSQL and SQLite catalogs)" node_tests "$fixtures_main" "$PWD/build/server/etlscope" tests/team/
step "page timing script (bench/pages.mjs --quick)" env ETLSCOPE_BIN="$PWD/build/server/etlscope" node bench/pages.mjs --quick

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
lane_collect 1
lane_nice 10
export ETLGEN_BIN=$PWD/build/tools/etlgen/etlgen
step "integration tests (ASan+UBSan, LeakSanitizer)" node_tests "$fixtures_asan" "$PWD/build-asan/server/etlscope" tests/integration/
step "browser tests (ASan+UBSan)" node_tests "$fixtures_asan" "$PWD/build-asan/server/etlscope" tests/browser/

lane_nice 0
wait "$lane_pid"
for ((n = 2; n <= lane_steps; n++)); do lane_collect "$n"; done

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
