#!/usr/bin/env bash
# tree_bench.sh — the whole-run call tree (issue 13's < 100 ms target for a 14 M-sample
# run): the demo's field story (24 CPUs, 1 kHz samples with stacks) for SECS seconds is
# written, ingested and served; GET /stacks/tree (by module, top-down and inverted) is asked
# 5 times with no filter — the per-leaf totals path — and 5 times with cpus=0-23 (the same
# selection through the per-slice counts), printing the median wall time and the server's
# CPU time per request (utime + stime from /proc, which a loaded machine inflates less).
#   bench/tree_bench.sh [--quick] [SECS]     (--quick: 2 s; default 20 s ≈ 0.5 M samples)
#   DB=path RUN=public-id bench/tree_bench.sh   (an already ingested run)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${2:-${1:-20}}; [ "$secs" = --quick ] && secs=20; [ $quick = 1 ] && secs=2
port=18097
if [ -z "${DB:-}" ]; then
  DB=$out/tree-${secs}s.db; rm -rf "$DB" "$DB"-* "$out/tree-data"
  sed -E "s/\"duration_s\": [0-9.]+/\"duration_s\": $secs/" demo/scenarios/field-before.json > "$out/tree.json"
  "$build/tools/etlgen/etlgen" "$out/tree.json" "$out/tree.etl" "$out/tree.expected.json" >/dev/null
  RUN=$("$build/server/etlscope" ingest --db "$DB" --data-dir "$out/tree-data" "$out/tree.etl" | sed -nE 's/.*run ([0-9a-f]{32}).*/\1/p')
fi
"$build/server/etlscope" serve --listen 127.0.0.1:$port --db "$DB" --data-dir "$out/tree-data" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/api/health" && break; sleep 0.1; done
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
samples=$(curl -s "http://127.0.0.1:$port/api/runs/$RUN/stacks/tree?group=module&idle=1&min_share=1" | sed -nE 's/.*"total":([0-9]+).*/\1/p')
echo "| query ($samples samples) | median wall | median server CPU |"
echo "|---|---|---|"
for q in "group=module" "group=module&invert=1" "group=module&cpus=0-23" "group=module&invert=1&cpus=0-23"; do
  walls=(); cpus=()
  for _ in 1 2 3 4 5; do
    c0=$(cpu); t0=$(date +%s.%N)
    curl -s -o /dev/null "http://127.0.0.1:$port/api/runs/$RUN/stacks/tree?$q"
    t1=$(date +%s.%N); c1=$(cpu)
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    cpus+=("$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')")
  done
  med() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
  echo "| tree?$q | $(med "${walls[@]}") s | $(med "${cpus[@]}") s |"
done
