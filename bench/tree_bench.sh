#!/usr/bin/env bash
# tree_bench.sh — issue 13's stack views over HTTP (target for a 10-minute, 24-CPU trace of
# 14 M samples with stacks: p95 < 100 ms for the whole trace, < 30 ms for a 10 s window):
# the demo's field story (24 CPUs, 1 kHz samples with stacks) for SECS seconds, its frames
# drawn from FRAMES fixed return addresses per module (etlgen's frames_per_module: real
# traces repeat a bounded set of call paths; FRAMES=0 draws a fresh address per frame, the
# worst case), is written, ingested (timed) and served. Each query is asked N times (default
# 20), each time with a different unused parameter so that no kept answer (server/answers.h)
# serves it; printed: p50 and p95 wall time and the median server CPU time per request
# (utime + stime from /proc, which a loaded machine inflates less), and the answer's size.
#   bench/tree_bench.sh [--quick] [SECS]     (--quick: 2 s; default 20 s ≈ 0.5 M samples)
#   DB=path RUN=public-id bench/tree_bench.sh   (an already ingested run)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${2:-${1:-20}}; [ "$secs" = --quick ] && secs=20; [ $quick = 1 ] && secs=2
frames=${FRAMES:-256}; reps=${N:-20}
port=18097
if [ -z "${DB:-}" ]; then
  DB=$out/tree-${secs}s.db; rm -f "$DB" "$DB"-*
  sed -E "s/\"duration_s\": [0-9.]+/\"duration_s\": $secs, \"frames_per_module\": $frames/" \
    demo/scenarios/field-before.json > "$out/tree.json"
  "$build/tools/etlgen/etlgen" "$out/tree.json" "$out/tree.etl" "$out/tree.expected.json" >/dev/null
  t0=$(date +%s.%N)
  RUN=$("$build/server/etlscope" ingest --db "$DB" "$out/tree.etl" | sed -nE 's/.*run ([0-9a-f]{32}).*/\1/p')
  echo "ingest of $(du -m "$out/tree.etl" | cut -f1) MB (stored call trees included): $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi
"$build/server/etlscope" serve --listen 127.0.0.1:$port --db "$DB" --data-dir "$out/tree-data" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/api/health" && break; sleep 0.1; done
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
base=http://127.0.0.1:$port/api/runs/$RUN
samples=$(curl -s "$base/stacks/tree?group=module&idle=1&min_share=1" | sed -nE 's/.*"total":([0-9]+).*/\1/p')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| query ($samples samples, $frames frames per module) | p50 wall | p95 wall | median server CPU | bytes |"
echo "|---|---|---|---|---|"
w10="from=5000&to=15000" # a 10 s window (ms from the trace's start)
for q in "stacks/tree?group=module" "stacks/tree?group=module&invert=1" "stacks/tree?group=frame" \
         "stacks/tree?group=frame&invert=1" "stacks/butterfly?module=ndis.sys" \
         "stacks/tree?group=module&cpus=0-23" \
         "stacks/tree?group=module&$w10" "stacks/tree?group=frame&$w10" \
         "stacks/butterfly?module=ndis.sys&$w10"; do
  walls=(); cpus=()
  for i in $(seq "$reps"); do
    c0=$(cpu); t0=$(date +%s.%N)
    bytes=$(curl -s -o /dev/null -w '%{size_download}' "$base/$q&bench=$i")
    t1=$(date +%s.%N); c1=$(cpu)
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
    cpus+=("$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')")
  done
  pct() { printf '%s\n' "${@:2}" | sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p + 0.999999); print v[i < 1 ? 1 : i] }'; }
  ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
  echo "| $q | $(ms "$(pct 0.5 "${walls[@]}")") | $(ms "$(pct 0.95 "${walls[@]}")") | $(ms "$(pct 0.5 "${cpus[@]}")") | $bytes |"
done
