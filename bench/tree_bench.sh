#!/usr/bin/env bash
# tree_bench.sh — issue 13's stack views over HTTP (target for a 10-minute, 24-CPU trace of
# 14 M samples with stacks: p95 < 100 ms for the whole trace, < 30 ms for a 10 s window):
# the demo's field story (24 CPUs, 1 kHz samples with stacks) for SECS seconds, its frames
# drawn from FRAMES fixed return addresses per module (etlgen's frames_per_module: real
# traces repeat a bounded set of call paths; FRAMES=0 draws a fresh address per frame, the
# worst case), is written, ingested (timed) and served (no rate limit). Each query is asked N
# times (default 20) by one curl over one keep-alive connection, each time with a different
# unused parameter so that no kept answer (server/answers.h) serves it; printed: p50, p95
# and max of curl's time_total, the server's CPU time per request over the batch (utime +
# stime from /proc, 10 ms ticks), the answer's size and how many answered 200.
#   bench/tree_bench.sh [--quick] [SECS]     (--quick: 2 s; default 20 s ≈ 0.5 M samples)
#   DB=path RUN=public-id bench/tree_bench.sh   (an already ingested run)
#   WALK=1 … (the window and filter aggregates set aside while it runs: the walk they replace)
#   WARM=1 … (one unmeasured request before each batch: a run's first walk loads its kept
#   stacks, docs/api.md "Kept stacks"; without it the first batch that walks includes that)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${2:-${1:-20}}; [ "$secs" = --quick ] && secs=20; [ $quick = 1 ] && secs=2
frames=${FRAMES:-256}; reps=${N:-20}
port=18097
if [ -z "${DB:-}" ]; then
  DB=$out/tree-${secs}s.db; rm -rf "$DB" "$DB"-* "$out/tree-data"
  sed -E "s/\"duration_s\": [0-9.]+/\"duration_s\": $secs, \"frames_per_module\": $frames/" \
    demo/scenarios/field-before.json > "$out/tree.json"
  "$build/tools/etlgen/etlgen" "$out/tree.json" "$out/tree.etl" "$out/tree.expected.json" >/dev/null
  t0=$(date +%s.%N)
  RUN=$("$build/server/etlscope" ingest --db "$DB" --data-dir "$out/tree-data" "$out/tree.etl" | sed -nE 's/.*run ([0-9a-f]{32}).*/\1/p')
  echo "ingest of $(du -m "$out/tree.etl" | cut -f1) MB (stored call trees included): $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi
start_server() {
  "$build/server/etlscope" serve --listen 127.0.0.1:$port --rate-limit 0 --db "$DB" --data-dir "$out/tree-data" >/dev/null 2>&1 &
  pid_srv=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/api/health" && break; sleep 0.1; done
}
start_server
trap 'kill $pid_srv 2>/dev/null' EXIT
cpu() { awk '{ print $14 + $15 }' /proc/$pid_srv/stat; }
hz=$(getconf CLK_TCK)
base=http://127.0.0.1:$port/api/runs/$RUN
samples=$(curl -s "$base/stacks/tree?group=module&idle=1&min_share=1" | sed -nE 's/.*"total":([0-9]+).*/\1/p')
start=$(curl -s "$base" | sed -nE 's/.*"start":([0-9]+).*/\1/p')
w10="from=$((start + 5000))&to=$((start + 15000))" # a 10 s window (ms since the epoch)
# the busiest process but Idle and its busiest thread (the process table's first rows)
procs=$(curl -s "$base/processes")
pid=$(echo "$procs" | grep -oE '"pid":[1-9][0-9]*' | head -1 | cut -d: -f2)
tid=$(echo "$procs" | sed -E "s/.*\"pid\":$pid,//" | grep -oE '"tid":[0-9]+' | head -1 | cut -d: -f2)
# WALK=1: the same queries with the stored window and filter aggregates (migration 16) set
# aside, as a run ingested before them is served: the walk over the stored counts
if [ "${WALK:-0}" = 1 ]; then
  kill $pid_srv; wait $pid_srv 2>/dev/null || true
  aside() { for f in "$DB" "$out"/tree-data/runs/*.db; do sqlite3 "$f" "$1" 2>/dev/null || true; done; }
  aside "CREATE TABLE stk_prestored_aside AS SELECT * FROM stk_prestored; DELETE FROM stk_prestored"
  trap 'kill $pid_srv 2>/dev/null; aside "INSERT INTO stk_prestored SELECT * FROM stk_prestored_aside; DROP TABLE stk_prestored_aside"' EXIT
  start_server
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| query ($samples samples, $frames frames per module; $reps requests, one keep-alive connection) | p50 | p95 | max | server CPU per request | bytes | 200s |"
echo "|---|---|---|---|---|---|---|"
for q in "stacks/tree?group=module" "stacks/tree?group=module&invert=1" "stacks/tree?group=frame" \
         "stacks/tree?group=frame&invert=1" "stacks/tree?group=module&idle=1" \
         "stacks/butterfly?module=ndis.sys" \
         "stacks/tree?group=module&$w10" "stacks/tree?group=module&invert=1&$w10" \
         "stacks/tree?group=frame&$w10" "stacks/butterfly?module=ndis.sys&$w10" \
         "stacks/tree?group=module&$w10&cpus=0-23" "stacks/tree?group=module&cpus=0-23" \
         "stacks/tree?group=module&pid=$pid" "stacks/tree?group=module&$w10&pid=$pid" \
         "stacks/tree?group=module&tid=$tid" "stacks/tree?group=module&$w10&tid=$tid" \
         "stacks/butterfly?module=ndis.sys&cpus=0-23" "stacks/butterfly?module=ndis.sys&pid=$pid" \
         "stacks/butterfly?module=ndis.sys&tid=$tid"; do
  args=(); for i in $(seq "$reps"); do args+=(-o /dev/null "$base/$q&bench=$i"); done
  [ "${WARM:-0}" = 1 ] && curl -s -o /dev/null "$base/$q&bench=warm"
  c0=$(cpu)
  res=$(curl -s -w '%{http_code} %{time_total} %{size_download}\n' "${args[@]}")
  c1=$(cpu)
  echo "$res" | sort -k2 -n | awk -v q="$q" -v c="$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$reps" 'BEGIN { printf "%.1f", (b - a) / hz / n * 1000 }')" \
    '{ v[NR] = $2; ok += $1 == 200; b = $3 } END { i = int(NR * 0.95 + 0.999999); printf "| %s | %.1f ms | %.1f ms | %.1f ms | %s ms | %d | %d/%d |\n", q, v[int(NR * 0.5 + 0.5)] * 1000, v[i] * 1000, v[NR] * 1000, c, b, ok, NR }'
done
