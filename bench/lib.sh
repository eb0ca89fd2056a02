# lib.sh — shell helpers shared by the benchmark scripts (sourced from the repo root with
# the script's arguments, not run). Sets quick (1 with --quick), build (BUILD or build),
# out (bench/out, created) and M (bench/measure of that build).
quick=0; [ "${1:-}" = "--quick" ] && quick=1
build=${BUILD:-build}
out=$PWD/bench/out; mkdir -p "$out"
M="$build/bench/measure"

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
