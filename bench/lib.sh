# lib.sh — shell helpers shared by the benchmark scripts (sourced from the repo root with
# the script's arguments, not run). Sets quick (1 with --quick), build (BUILD or build),
# out (bench/out, created) and M (bench/measure of that build).
quick=0; [ "${1:-}" = "--quick" ] && quick=1
build=${BUILD:-build}
out=$PWD/bench/out; mkdir -p "$out"
M="$build/bench/measure"

# The realistic stacks of demo/scenarios/field-before.json (bench/README.md, "Stacks whose
# IPs repeat" and "Stacks at full size, measured"): hot_stacks, the scenario settings that
# draw sampled IPs and call chains from hot sets; idle_one_ip, the sed program that puts
# the idle loop (intelppm.sys in the Idle process) on one IP. realistic_check exits when
# field-before.json's idle module no longer matches that sed.
hot_stacks='"hot_ips": 1024, "hot_paths": 4'
idle_one_ip='s/"samples": \{ "process": 0, "weight": 344 \} \}/"samples": { "process": 0, "weight": 344 }, "hot_ips": 1 }/'
realistic_check() {
  grep -q '"samples": { "process": 0, "weight": 344 } }' demo/scenarios/field-before.json ||
    { echo "$(basename "$0"): field-before.json's idle module changed: update idle_one_ip in bench/lib.sh" >&2; exit 1; }
}

# measure LABEL CMD… → sets wall (s), rss (kB) and cpu (user + sys s) from measure's JSON
# line; exits on failure
measure() {
  local label=$1; shift
  local j; j=$("$M" "$@" 2>&1 >/dev/null | tail -1)
  wall=$(echo "$j" | sed -E 's/.*"wall_s": ([0-9.]+).*/\1/')
  rss=$(echo "$j" | sed -E 's/.*"max_rss_kb": ([0-9]+).*/\1/')
  cpu=$(echo "$j" | sed -E 's/.*"cpu_s": ([0-9.]+).*/\1/')
  local code; code=$(echo "$j" | sed -E 's/.*"exit": ([0-9]+).*/\1/')
  [ "$code" = 0 ] || { echo "$(basename "$0"): $label failed: $j" >&2; exit 1; }
}

# serve_bg DB DATA LOG [BIN] — `etlscope serve` (BIN, default this build's) on an
# ephemeral loopback port in the background, no rate limit; sets srv_pid and url
# (http://127.0.0.1:PORT) once it listens, or exits naming the log. stop_server, also set
# as the EXIT trap, stops it.
srv_pid=
stop_server() { if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi; srv_pid=; }
serve_bg() {
  local db=$1 data=$2 log=$3 bin=${4:-$build/server/etlscope}
  : >"$log"
  "$bin" serve --listen 127.0.0.1:0 --db "$db" --data-dir "$data" --rate-limit 0 >"$log" 2>&1 &
  srv_pid=$!
  trap stop_server EXIT
  url=
  for _ in $(seq 100); do
    url=$(sed -nE 's|.*listening on (http://127\.0\.0\.1:[0-9]+)/.*|\1|p' "$log" | head -1)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): server did not start: $(cat "$log")" >&2
  exit 1
}
