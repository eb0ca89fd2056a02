#!/usr/bin/env bash
# run.sh — every benchmark, each against a baseline measured in the same run, printed as
# a Markdown table (the README's figures come from here). Timing lives only in bench/.
#   bench/run.sh            full sizes (perfmon ingest: a 200 MB PDH-CSV)
#   bench/run.sh --quick    small sizes, to check the scripts work
#   bench/run.sh [--quick] --stacks-big   also stacks_big.sh at the end (the 10-minute,
#                           24-CPU stack trace: its first ingest alone takes ~40 min here)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0; [ "${1:-}" = "--quick" ] && quick=1
stacks_big=0; for a in "$@"; do [ "$a" = --stacks-big ] && stacks_big=1; done
build=${BUILD:-build}
[ -x "$build/server/etlscope" ] || scripts/setup.sh --build
out=bench/out; mkdir -p "$out"
M="$build/bench/measure"

. bench/lib.sh # measure
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "| benchmark | figure | baseline (same run) | ratio |"
echo "|---|---|---|---|"
# wall times depend on what else runs: the load average says how quiet the machine was
loadavg() { echo "| machine, $1 | $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) | — | — |"; }
loadavg "at the start"

# --- 1. perfmon CSV ingest vs sqlite3 .import -------------------------------------------
rows=21500; [ $quick = 1 ] && rows=500
csv=$out/pdh-64cpu.csv
[ -f "$csv" ] && [ "$(cat "$out/pdh-64cpu.rows" 2>/dev/null)" = "$rows" ] ||
  { "$build/bench/gen_pdh_csv" -c 64 -s "$rows" -o "$csv"; echo "$rows" > "$out/pdh-64cpu.rows"; }
bytes=$(stat -c %s "$csv")
measure "cat" cat "$csv"; measure "cat" cat "$csv"; cat_s=$wall
sync # start each measured write on a quiet disk (see dpc_bench.sh)
rm -f "$out/import.db"; measure "sqlite3 .import" sqlite3 "$out/import.db" -cmd ".mode csv" ".import $csv samples"
imp_s=$wall; imp_rss=$rss
rm -rf "$out/etlscope.db"* "$out/etlscope-data"; sync; measure "etlscope ingest" "$build/server/etlscope" ingest --db "$out/etlscope.db" --data-dir "$out/etlscope-data" "$csv"
ing_s=$wall; ing_rss=$rss
echo "| perfmon CSV ingest, $((bytes / 1048576)) MB, 64 CPUs × 8 counters × $rows rows | $(mbps "$bytes" "$ing_s") MB/s ($ing_s s), peak RSS $((ing_rss / 1024)) MB | sqlite3 .import: $(mbps "$bytes" "$imp_s") MB/s ($imp_s s), RSS $((imp_rss / 1024)) MB; cat: $(mbps "$bytes" "$cat_s") MB/s | $(ratio "$imp_s" "$ing_s")× faster than .import |"

# --- 2. ETW: ETL ingest vs cat, DPC/ISR API latency and throughput vs static (dpc_bench.sh) ---
bench/dpc_bench.sh $([ $quick = 1 ] && echo --quick)

# --- 2b. a realistic kernel trace (60 s, 1 kHz samples with stacks, compressed and not) ---
bench/kernel_bench.sh $([ $quick = 1 ] && echo --quick)
# --- issue 15: CSwitch/ReadyThread/syscall/disk/file I/O ingest, windowed endpoint latency ---
bench/io_bench.sh $([ $quick = 1 ] && echo --quick)

# --- 2c. time to verdict: upload time and upload end → verdict, streamed ingest ---------
bench/verdict.sh $([ $quick = 1 ] && echo --quick)

# --- 3. load: concurrent uploads of large traces while many clients query -------------
node bench/load.mjs $([ $quick = 1 ] && echo --quick)

# --- 4. run pages in headless Chromium: verdict and fully drawn (the demo runs, and the
#        25 M-event run dpc_bench.sh stored in dpc.db with its run files in dpc-data) -------
ETLSCOPE_BIN="$build/server/etlscope" node bench/pages.mjs $([ $quick = 1 ] && echo --quick || echo --db "$out/dpc.db")
loadavg "at the end"
# --- 5. (--stacks-big) issue 13's stack views on the 10-minute, 24-CPU trace ---------------
if [ $stacks_big = 1 ]; then BUILD="$build" bench/stacks_big.sh; fi
