#!/usr/bin/env bash
# verdict.sh — time to verdict for a large upload (issue 17): the upload's time (curl, from
# the first byte to the 202 answer, which comes after the last byte) and the time from
# that answer to the job's `done` (the run and its findings stored), as Markdown table rows.
#   - loopback at full speed, next to the same bytes POSTed to a server that discards them
#     (the transfer's own cost, same run);
#   - loopback limited to 50 MB/s (curl --limit-rate, a fast LAN), where the ingest keeps up
#     with the upload: what streaming the ingest during the upload buys;
#   - `etlscope ingest` of the whole file: what upload-end → verdict was before the ingest
#     streamed (the ingest started after the last byte).
# The files: dpc_bench.sh's etlgen trace (~1 GB, 25 M DPC/ISR events; --quick: 4 s) and
# run.sh's perfmon CSV (200 MB; --quick: 500 rows).
#   bench/verdict.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # quick build out M; measure
secs=100; [ $quick = 1 ] && secs=4
limit=50M

scen=$out/dpc-${secs}s.json; etl=$out/dpc-${secs}s.etl; exp=$out/dpc-${secs}s.expected.json
sed -E "s/\"duration_s\": [0-9.]+/\"duration_s\": $secs/" bench/dpc_25m.json > "$scen.new"
cmp -s "$scen.new" "$scen" 2>/dev/null && [ -s "$etl" ] && [ -s "$exp" ] && rm "$scen.new" ||
  { mv "$scen.new" "$scen"; "$build/tools/etlgen/etlgen" "$scen" "$etl" "$exp" >/dev/null; }
# and bench/run.sh's perfmon CSV (64 CPUs × 8 counters; 200 MB, --quick: 500 rows)
rows=21500; [ $quick = 1 ] && rows=500
csv=$out/pdh-64cpu.csv
[ -f "$csv" ] && [ "$(cat "$out/pdh-64cpu.rows" 2>/dev/null)" = "$rows" ] ||
  { "$build/bench/gen_pdh_csv" -c 64 -s "$rows" -o "$csv"; echo "$rows" > "$out/pdh-64cpu.rows"; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
judge() { awk -v v="$1" 'BEGIN { printf "%s ≤ 1 s after the last byte", (v <= 1 ? "meets" : "MISSES") }'; } # issue 17
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_url() { # wait_url LOG → url
  for _ in $(seq 100); do
    local u; u=$(sed -nE 's|.*(http://127\.0\.0\.1:[0-9]+).*|\1|p' "$1" | head -1)
    [ -n "$u" ] && { echo "$u"; return 0; }
    sleep 0.1
  done
  echo "verdict.sh: no server in $1: $(cat "$1")" >&2; exit 1
}

# The baseline: a loopback server that reads and discards the body.
node -e "const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.end('ok'))});
s.listen(0,'127.0.0.1',()=>console.log('http://127.0.0.1:'+s.address().port))" > "$out/discard.log" 2>&1 &
pids+=($!)
discard=$(wait_url "$out/discard.log")

data=$out/verdict-data; rm -rf "$data"; mkdir -p "$data"
"$build/server/etlscope" serve --listen 127.0.0.1:0 --db "$data/etlscope.db" --data-dir "$data/d" \
  --rate-limit 0 --stream-ingest > "$out/verdict-serve.log" 2>&1 &
pids+=($!)
url=$(wait_url "$out/verdict-serve.log")

post() { # post URL [curl args…] → prints the upload's seconds; leaves the answer in $out/post.json
  local u=$1; shift
  curl -sS -o "$out/post.json" -w '%{time_total}' -H 'Content-Type: application/octet-stream' \
    --data-binary @"$etl" "$@" "$u"
}
verdict() { # verdict [curl args…] (uploads $etl) → "upload_s verdict_s" (upload-end → job done)
  local up; up=$(post "$url/api/uploads?file=bench.etl" "$@")
  local t0; t0=$(now)
  local job; job=$(sed -nE 's/.*"job":"([0-9a-f]{32})".*/\1/p' "$out/post.json")
  [ -n "$job" ] || { echo "verdict.sh: upload refused: $(cat "$out/post.json")" >&2; exit 1; }
  while :; do
    local st; st=$(curl -sS "$url/api/jobs/$job")
    case $st in
      *'"state":"done"'*) break ;;
      *'"state":"failed"'*) echo "verdict.sh: ingest failed: $st" >&2; exit 1 ;;
    esac
    sleep 0.02
  done
  echo "$up $(sub "$(now)" "$t0") $job"
}
split() { # split JOB → the server's own split of that job's time after the last byte
  local l
  for _ in $(seq 100); do # the line follows `done` by microseconds
    l=$(sed -nE "s/.*job $1: after the last byte: (.*)/\1/p" "$out/verdict-serve.log")
    [ -n "$l" ] && { echo "$l"; return 0; }
    sleep 0.02
  done
  echo "no split logged"
}

one() { # one FILE LABEL → two table rows for FILE
  etl=$1; local label=$2
  bytes=$(stat -c %s "$etl"); mb=$((bytes / 1048576))
  base_s=$(post "$discard/"); base_s=$(post "$discard/") # the second one, with the file cached
  read -r up_s v_s job_f < <(verdict)
  base_l=$(post "$discard/" --limit-rate $limit)
  read -r upl_s vl_s job_l < <(verdict --limit-rate $limit)
  rm -rf "$out/verdict-cli.db"* "$out/verdict-cli-data"; sync
  measure "etlscope ingest" "$build/server/etlscope" ingest --db "$out/verdict-cli.db" --data-dir "$out/verdict-cli-data" "$etl"
  ing_s=$wall
  rm -rf "$out/verdict-cli.db"* "$out/verdict-cli-data"
  echo "| upload → verdict, $mb MB $label over loopback | upload $up_s s ($(mbps "$bytes" "$up_s") MB/s), upload end → verdict $v_s s (server: $(split "$job_f")) | POST of the same bytes to a discarding server: $base_s s ($(mbps "$bytes" "$base_s") MB/s); \`etlscope ingest\` of the whole file (the verdict's wait before streaming): $ing_s s | verdict $(awk -v v="$v_s" -v i="$ing_s" 'BEGIN { printf "%.2f", v / i }')× the whole-file ingest; $(judge "$v_s") |"
  echo "| upload → verdict, $mb MB $label over loopback at $limit/s | upload $upl_s s ($(mbps "$bytes" "$upl_s") MB/s), upload end → verdict $vl_s s (server: $(split "$job_l")) | POST to a discarding server at $limit/s: $base_l s | $(judge "$vl_s") |"
}
one "$etl" "ETL (DPC/ISR)"
one "$csv" "perfmon CSV"
