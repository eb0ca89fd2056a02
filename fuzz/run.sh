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
status=0
for name in "${harnesses[@]}"; do
  h=build-fuzz/fuzz/$name
  [ -x "$h" ] || { echo "fuzz: no harness $name"; status=1; continue; }
  corpus=build-fuzz/corpus/$name; mkdir -p "$corpus"
  fuzz/seed.sh "$name" "$corpus"
  dict=fuzz/$name.dict; dopt=(); [ -f "$dict" ] && dopt=(-dict="$dict")
  log=build-fuzz/$name.log
  echo "--- $name: ${secs}s, corpus $(ls "$corpus" | wc -l) files"
  if "$h" -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=2048 -timeout=30 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" "${dopt[@]}" "$corpus" >"$log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs" "$log"
  else
    tail -40 "$log"; echo "$name FOUND A CRASH (artifact in build-fuzz/)"; status=1
  fi
done
exit $status
