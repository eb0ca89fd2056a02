#!/usr/bin/env bash
# run.sh — build every libFuzzer harness with clang (ASan+UBSan) and run each for a while on
# its seed corpus (fuzz/seed.sh). CI runs it briefly; a longer run is the same command:
#   fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS…]     e.g. fuzz/run.sh 3600 fuzz_etl_buffer
# Corpora grow in build-fuzz/corpus/<harness>; a crash leaves build-fuzz/<harness>-crash-*
# and makes this script fail (turn it into a regression test).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
export ETLSCOPE_SHARED=${ETLSCOPE_SHARED:-$(cd .. && pwd)/shared}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DETLSCOPE_SHARED_DIR="$ETLSCOPE_SHARED" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETLSCOPE_FUZZ=ON >/dev/null &&
  cmake --build build-fuzz --target fuzzers -j"$(nproc)" >/dev/null || { echo "fuzz: build failed"; exit 1; }
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=($(cd build-fuzz/fuzz && ls fuzz_* | grep -v '\.'))
# FUZZ_JOBS harnesses run at a time (default 1; CI: 2, one a core), each for the full
# SECONDS; each one's report is printed whole when it ends.
jobs=${FUZZ_JOBS:-1}
fuzz_one() { # fuzz_one NAME: seed, run, print its report; fails on a crash
  local name=$1 h=build-fuzz/fuzz/$1 corpus=build-fuzz/corpus/$1 log=build-fuzz/$1.log dopt=()
  [ -x "$h" ] || { echo "fuzz: no harness $name"; return 1; }
  mkdir -p "$corpus"
  fuzz/seed.sh "$name" "$corpus"
  [ -f "fuzz/$name.dict" ] && dopt=(-dict="fuzz/$name.dict")
  local head="--- $name: ${secs}s, corpus $(ls "$corpus" | wc -l) files"
  if "$h" -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=2048 -timeout=30 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" "${dopt[@]}" "$corpus" >"$log" 2>&1; then
    { echo "$head"; grep -E "^stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs" "$log"; } > "$log.report"
    cat "$log.report"
  else
    { echo "$head"; tail -40 "$log"; echo "$name FOUND A CRASH (artifact in build-fuzz/)"; } > "$log.report"
    cat "$log.report"; return 1
  fi
}
status=0; running=0
for name in "${harnesses[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || status=1; running=$((running - 1)); fi
  fuzz_one "$name" & running=$((running + 1))
done
while [ "$running" -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
exit $status
