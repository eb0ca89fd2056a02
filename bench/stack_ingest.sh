#!/usr/bin/env bash
# stack_ingest.sh — what call stacks cost at ingest (issue 13: an ETL trace with a stack on
# every sample ingests at ≥ 60 % of the rate of the same trace without stacks), as Markdown
# table rows: the demo's field story (24 CPUs, 1 kHz samples, DPC/ISR at its rates,
# XPRESS-compressed) for SECS seconds written three ways by etlgen, each ingested in the
# same run: without StackWalk events ("sample_stacks": false), with stacks whose IPs and call
# chains repeat as a real trace's do (etlgen's "hot_ips": 1024 and "hot_paths": 4, the idle
# loop on one IP: bench/kernel_bench.sh's realistic story, calibrated on the real PerfView
# sample), and with a fresh random address per frame (the store's worst case). The stackless
# trace draws its IPs from the same hot sets.
# The rate is trace seconds per second, of wall time and of CPU time (user + sys, which the
# loaded machine inflates less); the ratio is the stackless trace's time over this one's.
# Stored call trees, butterflies and slice counts (api_stk_pre_build) are part of the ingest.
# Several lengths give one row per length and variant: peak RSS must not grow with length
# (issue 17: < 64 MB whatever the trace size).
#   bench/stack_ingest.sh [--quick] [SECS...]     (--quick: 5 s; default 60 s)
#   e.g. bench/stack_ingest.sh 10 30 60 120
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # quick build out M; measure
shift $quick
lengths=${*:-60}; [ $quick = 1 ] && lengths=5
realistic_check
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| trace (24 CPUs, XPRESS) | s | MB | wall | CPU | peak RSS | trace s per wall s | per CPU s | stackless time / this time (wall, CPU) |"
echo "|---|---|---|---|---|---|---|---|---|"
for secs in $lengths; do
base_wall=; base_cpu=
for v in none real random; do
  case $v in
    none) extra="\"sample_stacks\": false, $hot_stacks"; label='no stacks (IPs: the same hot sets)' ;;
    real) extra=$hot_stacks; label='stacks that repeat as a real trace'"'"'s (hot_ips 1024, hot_paths 4)' ;;
    random) extra='"frames_per_module": 0'; label='stacks, a random address per frame' ;;
  esac
  scen=$out/stk-$v-${secs}s.json; etl=$out/stk-$v-${secs}s.etl
  sed -E "s/\"duration_s\": [0-9.]+/\"duration_s\": $secs, $extra/; s/\"compressed\": (true|false)/\"compressed\": true/" \
    demo/scenarios/field-before.json | { [ $v = random ] && cat || sed -E "$idle_one_ip"; } > "$scen"
  "$build/tools/etlgen/etlgen" "$scen" "$etl" "$out/stk-$v.expected.json" >/dev/null
  db=$out/stk-$v.db; rm -rf "$db" "$db"-* "$db-data"; sync
  measure "etlscope ingest ($label, $secs s)" "$build/server/etlscope" ingest --db "$db" --data-dir "$db-data" "$etl"
  [ -z "$base_wall" ] && { base_wall=$wall; base_cpu=$cpu; }
  echo "| $label | $secs | $(($(stat -c %s "$etl") / 1048576)) | $wall s | $cpu s | $((rss / 1024)) MB | $(awk -v s="$secs" -v w="$wall" 'BEGIN { printf "%.2f", s / w }') | $(awk -v s="$secs" -v c="$cpu" 'BEGIN { printf "%.2f", s / c }') | $(awk -v a="$base_wall" -v b="$wall" -v c="$base_cpu" -v d="$cpu" 'BEGIN { printf "%.0f %%, %.0f %%", 100 * a / b, 100 * c / d }') |"
  rm -rf "$db" "$db"-* "$db-data" "$etl"
done
done
