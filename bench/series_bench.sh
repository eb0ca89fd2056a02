#!/usr/bin/env bash
# series_bench.sh — the perfmon series store (issue 17, h-series), as Markdown table rows:
#   1. `etlscope ingest` of the 201 MB PDH-CSV of run.sh (64 CPUs × 8 counters, 21,500
#      samples): CPU time (user + sys), peak RSS and the run file's size;
#   2. a server given that CSV and the perfmon samples (../shared/samples/perfmon beside the repo, or
#      ETLSCOPE_SHARED) as uploads: the server's own split of each job (findings ms);
#   3. bench/series_query.mjs on every run: /series, /cpu, /processes, N different URLs each,
#      p50/p95 wall and the server's CPU per request.
#   BIN=path/to/etlscope bench/series_bench.sh [--quick]   (--quick: 2,000 samples, N = 5)
# DUMP=DIR also writes every endpoint's JSON to DIR (series_query.mjs --dump) to compare two
# binaries' answers.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bin=${BIN:-$build/server/etlscope}
shared=${ETLSCOPE_SHARED:-$PWD/../shared}
rows=21500; n=30
[ $quick = 1 ] && { rows=2000; n=5; }
csv=$out/pdh-64cpu.csv
[ -f "$csv" ] && [ "$(cat "$out/pdh-64cpu.rows" 2>/dev/null)" = "$rows" ] ||
  { "$build/bench/gen_pdh_csv" -c 64 -s "$rows" -o "$csv"; echo "$rows" > "$out/pdh-64cpu.rows"; }

db=$out/series.db; rm -rf "$db" "$db"-* "$out/series-data"
measure "etlscope ingest" "$bin" ingest --db "$db" --data-dir "$out/series-data" "$csv"
size=$(du -cb "$out"/series-data/* | tail -1 | cut -f1)
echo "| ingest of the PDH-CSV, $(($(stat -c %s "$csv") / 1048576)) MB | $cpu s CPU ($wall s wall), peak RSS $((rss / 1024)) MB | run file $((size / 1024)) KiB |"

rm -rf "$db" "$db"-* "$out/series-data"
log=$out/series-serve.log
serve_bg "$db" "$out/series-data" "$log" "$bin"
for f in "$csv" "$shared"/samples/perfmon/powershell_CounterSamples.{csv,tsv,blg} "$shared"/samples/perfmon/pal_SampleLog.blg; do
  name=$(basename "$f")
  job=$(curl -sS -H 'Content-Type: application/octet-stream' --data-binary @"$f" \
    "$url/api/uploads?file=$name&name=$name" | sed -nE 's/.*"job":"([0-9a-f]{32})".*/\1/p')
  [ -n "$job" ] || { echo "series_bench: upload of $name refused" >&2; exit 1; }
  for _ in $(seq 3000); do
    st=$(curl -sS "$url/api/jobs/$job")
    case $st in *'"state":"done"'*|*'"state":"failed"'*) break ;; esac
    sleep 0.05
  done
  sleep 0.2
  echo "| upload of $name | $(grep "job $job" "$log" | sed -E 's/.*after the last byte: //') |"
done
if [ -n "${DUMP:-}" ]; then node bench/series_query.mjs "$url" --dump "$DUMP"; fi
node bench/series_query.mjs "$url" "$n" "$srv_pid"
