#!/usr/bin/env bash
# stacks_big.sh — issue 13's stack views at full size, over HTTP: a 10-minute, 24-CPU trace
# with 1 kHz samples with stacks on every CPU (~14 M samples; bench/stacks_big.json: the
# field story plus user-mode halves, several processes, sampled IPs and return addresses
# from each module's hot set with a skew, each IP reached through one of 4 call chains —
# etlgen's hot_ips and hot_paths). Targets: p95 < 100 ms for the whole
# trace, < 30 ms for a 10 s window; answers pruned under 0.1 % with a "(rest)" node.
# The trace (bench/out/big.etl, ~1 GB XPRESS) and its run (big.db, big-data/) are written
# and ingested once (~4 min on this machine: etlgen, then `etlscope ingest` under
# bench/measure, its CPU, wall and peak RSS printed) and reused while the scenario is
# unchanged. Then the real server is started on the run and asked, each URL different so that
# no kept answer (server/answers.h) serves it, over one keep-alive connection per batch:
#   warm (the run's stacks kept: one unmeasured walk first) — call trees by frame and module,
#   top-down and inverted (the flame graph draws the top-down tree by frame: web/flame.js),
#   butterflies of third-party drivers; whole trace, 50 different 10 s windows (half on whole
#   seconds, half with mid-second ends), one CPU, one process, one thread, tags and
#   combined filters;
#   cold — the server restarted before each kind's first request (a run's first walk loads
#   its kept stacks, docs/api.md "Kept stacks").
# Printed per batch: p50, p95 and max of curl's time_total, the server's CPU per request
# (utime + stime from /proc, 10 ms ticks), the largest answer in bytes, 200s, and whether
# every tree answer says min_share 0.001 and carries "pruned" (the "(rest)" fold).
# Not part of run.sh's default (its length): `bench/run.sh --stacks-big` runs it.
#   bench/stacks_big.sh [N]        (N requests per whole-trace batch, default 20)
#   DB=path DATA=dir bench/stacks_big.sh   (another ingested run: its catalog and runs dir)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${1:-20}
port=18098
scen=bench/stacks_big.json etl=$out/big.etl data=${DATA:-$out/big-data}
if [ -n "${DB:-}" ]; then :
elif ! cmp -s "$scen" "$out/big.json" 2>/dev/null || [ ! -s "$etl" ]; then
  rm -rf "$DB" "$DB"-* "$data"
  "$build/tools/etlgen/etlgen" "$scen" "$etl" "$out/big.expected.json" >/dev/null
  cp "$scen" "$out/big.json"
fi
DB=${DB:-$out/big.db}
if [ ! -s "$DB" ]; then
  measure "etlscope ingest" "$build/server/etlscope" ingest --db "$DB" --data-dir "$data" "$etl"
  echo "ingest of $(du -m "$etl" | cut -f1) MB: $wall s wall, $cpu s CPU, peak RSS $((rss / 1024)) MB"
fi
RUN=$(sqlite3 "$DB" "SELECT public_id FROM runs ORDER BY id DESC LIMIT 1")
[ -n "$RUN" ] || { echo "stacks_big.sh: no run in $DB (an interrupted ingest?): remove it and run again" >&2; exit 1; }
pid_srv=
start_server() {
  "$build/server/etlscope" serve --listen 127.0.0.1:$port --rate-limit 0 --db "$DB" --data-dir "$data" >/dev/null 2>&1 &
  pid_srv=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/api/health" && return; sleep 0.1; done
}
stop_server() { kill "$pid_srv" 2>/dev/null; wait "$pid_srv" 2>/dev/null || true; }
start_server
trap 'stop_server' EXIT
cpu() { awk '{ print $14 + $15 }' /proc/$pid_srv/stat; }
hz=$(getconf CLK_TCK)
base=http://127.0.0.1:$port/api/runs/$RUN
start=$(curl -s "$base" | sed -nE 's/.*"start":([0-9]+).*/\1/p') # ms since the epoch
samples=$(curl -s "$base/stacks/tree?group=module&idle=1&min_share=1" | sed -nE 's/.*"total":([0-9]+).*/\1/p')
procs=$(curl -s "$base/processes")
pid=$(echo "$procs" | grep -oE '"pid":[1-9][0-9]*' | head -1 | cut -d: -f2)
tid=$(echo "$procs" | sed -E "s/.*\"pid\":$pid,//" | grep -oE '"tid":[0-9]+' | head -1 | cut -d: -f2)
# the i-th 10 s window: starts spread over the trace, odd ones with mid-second ends
win() { local s=$((start + (7 + $1 * 11) % 585 * 1000 + ($1 % 2) * 437)); echo "from=$s&to=$((s + 10000))"; }

# batch LABEL URL… : one curl over one connection; a row of the table
batch() {
  local label=$1; shift
  local c0 c1 res u
  c0=$(cpu)
  res=$(curl -s -w '%{http_code} %{time_total} %{size_download}\n' \
    $(for u in "$@"; do printf -- '-o /dev/null %s ' "$base/$u"; done))
  c1=$(cpu)
  # the pruning: one answer of the batch asked again (kept answer, not timed)
  local pr="—"
  case "$1" in stacks/tree*)
    curl -s "$base/$1" | grep -q '"min_share":0.001' && curl -s "$base/$1" | grep -q '"pruned"' && pr=yes || pr=NO ;;
  esac
  echo "$res" | sort -k2 -n | awk -v q="$label" -v pr="$pr" \
    -v c="$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$#" 'BEGIN { printf "%.1f", (b - a) / hz / n * 1000 }')" \
    '{ v[NR] = $2; ok += $1 == 200; if ($3 > b) b = $3 } END { i = int(NR * 0.95 + 0.999999); printf "| %s | %.1f ms | %.1f ms | %.1f ms | %s ms | %d | %d/%d | %s |\n", q, v[int(NR * 0.5 + 0.5)] * 1000, v[i] * 1000, v[NR] * 1000, c, b, ok, NR, pr }'
}
# urls Q N : Q with N different unused parameters
urls() { for i in $(seq "$2"); do echo "$1&bench=$i"; done; }
# wurls Q : Q over the 50 windows
wurls() { for i in $(seq 0 49); do echo "$1&$(win "$i")"; done; }

third=idsvia64.sys edr=tedrdrv.sys
tag="tag=Antivirus%20and%20EDR"
kinds=("tree by frame|stacks/tree?group=frame" "tree by frame, inverted|stacks/tree?group=frame&invert=1"
       "tree by module|stacks/tree?group=module" "tree by module, inverted|stacks/tree?group=module&invert=1"
       "butterfly $third|stacks/butterfly?module=$third" "butterfly $edr|stacks/butterfly?module=$edr")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $samples samples (Idle included), run $RUN"
echo
echo "Warm (one unmeasured walk first; each request a different URL):"
echo
echo "| query | p50 | p95 | max | server CPU per request | largest answer (bytes) | 200s | pruned, announced |"
echo "|---|---|---|---|---|---|---|---|"
curl -s -o /dev/null "$base/stacks/tree?group=frame&$(win 99)"
for k in "${kinds[@]}"; do
  l=${k%%|*} q=${k#*|}
  mapfile -t u < <(urls "$q" "$reps"); batch "$l, whole trace" "${u[@]}"
  mapfile -t u < <(wurls "$q"); batch "$l, 50 × 10 s windows" "${u[@]}"
done
for k in "${kinds[@]:0:3}"; do
  l=${k%%|*} q=${k#*|}
  mapfile -t u < <(for c in $(seq 0 $((reps - 1))); do echo "$q&cpus=$((c % 24))&bench=$c"; done)
  batch "$l, one CPU" "${u[@]}"
  mapfile -t u < <(urls "$q&pid=$pid" "$reps"); batch "$l, pid=$pid" "${u[@]}"
  mapfile -t u < <(urls "$q&tid=$tid" "$reps"); batch "$l, tid=$tid" "${u[@]}"
  mapfile -t u < <(urls "$q&$tag" "$reps"); batch "$l, $tag" "${u[@]}"
  mapfile -t u < <(wurls "$q&pid=$pid"); batch "$l, 10 s windows + pid" "${u[@]}"
  mapfile -t u < <(urls "$q&pid=$pid&module=$edr" "$reps"); batch "$l, pid + module=$edr" "${u[@]}"
  mapfile -t u < <(wurls "$q&cpus=0-11&$tag"); batch "$l, cpus=0-11 + 10 s windows + tag" "${u[@]}"
done
echo
echo "Cold (server restarted before each; the first request pays loading the run's kept stacks when it walks):"
echo
echo "| first request after a restart | wall | server CPU | bytes | status |"
echo "|---|---|---|---|---|"
for k in "${kinds[@]}" "tree by frame, 10 s window|stacks/tree?group=frame&$(win 3)" \
         "tree by module, 10 s window|stacks/tree?group=module&$(win 3)" \
         "butterfly $third, 10 s window|stacks/butterfly?module=$third&$(win 3)" \
         "tree by module, $tag|stacks/tree?group=module&$tag"; do
  l=${k%%|*} q=${k#*|}
  stop_server; start_server
  c0=$(cpu)
  r=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$base/$q")
  c1=$(cpu)
  echo "$r" | awk -v l="$l" -v c="$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) / hz * 1000 }')" \
    '{ printf "| %s | %.0f ms | %s ms | %d | %d |\n", l, $2 * 1000, c, $3, $1 }'
done
