#!/usr/bin/env bash
# io_bench.sh — issue 15's benchmark, as Markdown table rows: bench/io_busy.json, a 60 s
# trace of a busy 24-CPU server (12 services × 8 threads per CPU taking turns with CSwitch
# and ReadyThread, ~100 k syscalls/s, file and disk I/O, the field story's DPC/ISR rates,
# 1 kHz samples with stacks: ~26 M events, ~440 k events/s, ~830 MB), written by etlgen
# (its own time is the first row), then
#   1. `etlscope ingest` MB/s of file, CPU time (user + sys) and peak RSS vs `cat FILE` in
#      the same run (the machine is shared: CPU time is the steadier figure);
#   2. /syscalls, /scheduling, /diskio and /fileio over HTTP (bench/io_query.mjs): whole
#      trace, 10 s windows (on whole seconds and with mid-second ends), one CPU, one
#      process — N different URLs each, p50/p95/max and the server's CPU per request,
#      against the 50 ms p95 target.
#   bench/io_bench.sh [--quick]     (--quick: a 10 s trace and 10 requests per row, not 50)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # quick build out M; measure
n=50; secs=60
[ $quick = 1 ] && { n=10; secs=10; }

scen=$out/io-busy-$secs.json; etl=$out/io-busy-$secs.etl; exp=$out/io-busy-$secs.expected.json
sed -E "s/\"duration_s\": 60,/\"duration_s\": $secs,/" bench/io_busy.json >"$scen.new"
cmp -s "$scen.new" "$scen" 2>/dev/null && [ -s "$etl" ] && rm "$scen.new" || {
  mv "$scen.new" "$scen"
  measure "etlgen" "$build/tools/etlgen/etlgen" "$scen" "$etl" "$exp"
  echo "| etlgen writing the trace (io_busy.json, $secs s) | $(awk -v b="$(stat -c %s "$etl")" -v s="$wall" 'BEGIN { printf "%.0f", b / 1048576 / s }') MB/s ($wall s wall, $cpu s CPU) | — | — |"
}
bytes=$(stat -c %s "$etl")
events=$(sed -nE 's/^\s*"events":\s*([0-9]+),?/\1/p' "$exp" | head -1)
measure "cat" cat "$etl"; measure "cat" cat "$etl"; cat_s=$wall; cat_cpu=$cpu
db=$out/io.db; rm -rf "$db" "$db"-* "$out/io-data"; sync
measure "etlscope ingest" "$build/server/etlscope" ingest --db "$db" --data-dir "$out/io-data" "$etl"
mb() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
echo "| ingest of the busy 24-CPU trace ($secs s), $((bytes / 1048576)) MB, $(awk -v e="$events" -v s="$secs" 'BEGIN { printf "%.1f M events, %.0f k events/s of trace", e / 1e6, e / 1e3 / s }') | $(mb "$wall") MB/s of file ($wall s wall, $cpu s CPU: $(mb "$cpu") MB per CPU-second), peak RSS $((rss / 1024)) MB; target ≥ 100 MB/s | \`cat FILE\`: $(mb "$cat_s") MB/s ($cat_s s, $cat_cpu s CPU) | $(awk -v a="$wall" -v b="$cat_s" 'BEGIN { printf "%.0f", a / b }')× cat's time |"

serve_bg "$db" "$out/io-data" "$out/io-serve.log"
run_id=$(curl -sf "$url/api/runs" | sed -nE 's/.*"id":"([0-9a-f]{32})".*/\1/p' | head -1)
node bench/io_query.mjs "$url" "$run_id" "$n" "$srv_pid"
