#!/usr/bin/env bash
# stages.sh — where an ETL ingest's CPU time goes: `perf record` of `etlscope ingest FILE`
# (both threads: the reader/decoder and the store thread of ingest/sink_pipe.c), each sampled
# function put into its stage by name, printed as one Markdown table row:
#   read (kernel: file reads, page faults, and the SQLite writes' syscalls), decompress
#   (XPRESS), decode (etl_* event parsing, stacks, module lookup), merge (per-CPU k-way merge
#   into time order), aggregate (agg_*, db_dpc_*, reservoirs, the ETW sink), store (SQLite:
#   every sample in libsqlite3, by library, since its static functions have no symbol and
#   were counted as "other" by name), other (libc copies, malloc, locks, the rest).
#   bench/stages.sh LABEL FILE      (needs perf; BUILD picks the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
label=$1 file=$2
command -v perf >/dev/null || { echo "| $label: stage profile | perf is missing | | |"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
perf record -q -F 999 -o "$tmp/perf.data" "$build/server/etlscope" ingest --db "$tmp/s.db" --data-dir "$tmp/data" "$file" >/dev/null 2>"$tmp/err" ||
  { echo "stages.sh: perf record failed: $(cat "$tmp/err")" >&2; exit 1; }
perf report -i "$tmp/perf.data" --no-children --sort dso,symbol --stdio -q 2>/dev/null |
  awk '$1 ~ /%$/ && ($3 == "[.]" || $3 == "[k]") {
    p = $1; sub(/%/, "", p); s = $4
    if ($3 == "[k]") st = "read"
    else if ($2 ~ /^libsqlite3/) st = "store"
    else if (s ~ /xpress|lz77|decompress/) st = "decompress"
    else if (s ~ /^etl_merge|^sift_down|^stream_advance/) st = "merge"
    else if (s ~ /^sqlite3|^pcache|^btree|^vdbe/) st = "store"
    else if (s ~ /^agg_|^db_|^reserve_rec|^store_loop|^flush|^module_id|^up_cpu_sample/) st = "aggregate"
    else if (s ~ /^etl_|^lookup_space|^run$/) st = "decode"
    else st = "other"
    t[st] += p
  } END {
    n = split("read decompress decode merge aggregate store other", o, " ")
    for (i = 1; i <= n; i++) printf "%s%s %.0f %%", (i > 1 ? ", " : ""), o[i], t[o[i]]
    printf "\n"
  }' > "$tmp/row"
echo "| $label: where the CPU time goes (perf, share of samples) | $(cat "$tmp/row") | | |"
