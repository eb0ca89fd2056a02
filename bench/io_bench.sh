#!/usr/bin/env bash
# io_bench.sh — issue 15's event kinds under load, as Markdown table rows: an etlgen trace
# heavy in CSwitch/ReadyThread (+ the DPCs that ready the thread), SysClEnter/SysClExit,
# DiskIo and FileIo Read/OperationEnd (bench/io_heavy.json: 3.25 M events over ~5.6 s of
# trace time, ~580 k events/s; each story runs on its own CPU of a 24-CPU header, one after
# another — etlgen's stories are single-threaded, so this is not yet the issue's 60 s of
# 24 busy CPUs), each
#   1. `etlscope ingest` MB/s of file, CPU time (user + sys) and peak RSS vs `cat FILE` in
#      the same run (the machine is shared: CPU time is the steadier figure);
#   2. p50/p95/p99 of /syscalls, /scheduling, /diskio and /fileio with a window filter (the
#      trace's second and third seconds, i.e. the `selection` read from the per-slice facts),
#      one connection (wrk, bench/wrk_pct.lua), against the 50 ms p95 target.
#   bench/io_bench.sh [--quick]     (--quick: 2 s of wrk per endpoint instead of 10)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # quick build out M; measure
wrk_s=10; [ $quick = 1 ] && wrk_s=2

scen=bench/io_heavy.json; etl=$out/io-heavy.etl; exp=$out/io-heavy.expected.json
[ -s "$etl" ] && [ "$etl" -nt "$scen" ] || "$build/tools/etlgen/etlgen" "$scen" "$etl" "$exp" >/dev/null
bytes=$(stat -c %s "$etl")
events=$(sed -nE 's/^\s*"events":\s*([0-9]+),?/\1/p' "$exp" | head -1)
measure "cat" cat "$etl"; measure "cat" cat "$etl"; cat_s=$wall; cat_cpu=$cpu
db=$out/io.db; rm -rf "$db" "$db"-* "$out/io-data"; sync
measure "etlscope ingest" "$build/server/etlscope" ingest --db "$db" --data-dir "$out/io-data" "$etl"
mb() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
echo "| ingest of the CSwitch/ReadyThread/syscall/disk/file I/O trace, $((bytes / 1048576)) MB, $(awk -v e="$events" 'BEGIN { printf "%.2f", e / 1e6 }') M events | $(mb "$wall") MB/s of file ($wall s wall, $cpu s CPU: $(mb "$cpu") MB per CPU-second), peak RSS $((rss / 1024)) MB; target ≥ 100 MB/s | \`cat FILE\`: $(mb "$cat_s") MB/s ($cat_s s, $cat_cpu s CPU) | $(awk -v a="$wall" -v b="$cat_s" 'BEGIN { printf "%.0f", a / b }')× cat's time |"

srv_pid=
stop_server() { if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi; srv_pid=; }
trap stop_server EXIT
log=$out/io-serve.log; : >"$log"
"$build/server/etlscope" serve --listen 127.0.0.1:0 --db "$db" --data-dir "$out/io-data" --rate-limit 0 >"$log" 2>&1 &
srv_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -nE 's|.*listening on (http://127\.0\.0\.1:[0-9]+)/.*|\1|p' "$log" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "io_bench: server did not start: $(cat "$log")" >&2; exit 1; }
run_id=$(curl -sf "$url/api/runs" | sed -nE 's/.*"id":"([0-9a-f]{32})".*/\1/p' | head -1)
start_ms=$(curl -sf "$url/api/runs/$run_id" | sed -nE 's/.*"start":([0-9.]+).*/\1/p')
from=$(awk -v s="$start_ms" 'BEGIN { printf "%.0f", s + 1000 }')
to=$(awk -v s="$start_ms" 'BEGIN { printf "%.0f", s + 3000 }')
lua=$PWD/bench/wrk_pct.lua
for ep in syscalls scheduling diskio fileio; do
  path="$ep?from=$from&to=$to"
  kb=$(curl -sf "$url/api/runs/$run_id/$path" | wc -c | awk '{ printf "%.1f", $1 / 1024 }')
  l=$(wrk -t1 -c1 -d"${wrk_s}s" -s "$lua" "$url/api/runs/$run_id/$path" | grep '^WRK')
  read -r rps p50 p95 p99 errs non2xx <<<"$(echo "$l" | sed -E 's/.*rps=([0-9.]+) p50=([0-9.]+) p95=([0-9.]+) p99=([0-9.]+).*errors=([0-9]+) non2xx=([0-9]+).*/\1 \2 \3 \4 \5 \6/')"
  [ "$errs" = 0 ] && [ "$non2xx" = 0 ] || { echo "io_bench: errors on $path" >&2; exit 1; }
  met=$(awk -v p="$p95" 'BEGIN { print (p < 50 ? "meets" : "MISSES") }')
  echo "| \`/$ep?from=…&to=…\` (2 s window, $kb KB JSON) | p50 / p95 / p99: $p50 / $p95 / $p99 ms, $rps req/s; $met p95 < 50 ms | — | — |"
done
