#!/usr/bin/env bash
# stages.sh — where an ETL ingest's CPU time goes: `perf record` of `etlscope ingest FILE`
# (both threads: the reader/decoder and the store thread of ingest/sink_pipe.c), each sampled
# function put into its stage by its source file (perf's srcfile; the build has -g) and
# name, printed as one Markdown table row:
#   kernel (every kernel-mode sample: the trace's reads, SQLite's pread/pwrite of its pages,
#   page faults — no call chains here to split them; h-kingest's section of bench/README.md
#   did, with DWARF stacks), decompress (XPRESS), decode (etl_* event parsing, module lookup,
#   the ingest's event loop), merge (etl_merge.c: the per-CPU k-way merge into time order),
#   stacks (a sample's stack: the pending window and the join of its kernel and user halves
#   in etl_ingest.c, the stack maps and store db_stk_*/db_stacks*), aggregate (db_agg*,
#   db_dpc*, reservoirs, the ETW sink, sink_*.c), store (SQLite: every sample in libsqlite3,
#   by library, as its static functions have no symbol, and our db_* statement code),
#   after-ingest (api_*.c and find_*.c: the stored trees, butterflies and findings that
#   `etlscope ingest` builds before it returns), libc sort (qsort/msort, called by the stack
#   maps and the after-ingest build), other (libc copies, malloc, locks, the rest).
#   bench/stages.sh LABEL FILE      (needs perf; BUILD picks the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
label=$1 file=$2
command -v perf >/dev/null || { echo "| $label: stage profile | perf is missing | | |"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
perf record -q -F 999 -o "$tmp/perf.data" "$build/server/etlscope" ingest --db "$tmp/s.db" --data-dir "$tmp/data" "$file" >/dev/null 2>"$tmp/err" ||
  { echo "stages.sh: perf record failed: $(cat "$tmp/err")" >&2; exit 1; }
perf report -i "$tmp/perf.data" --no-children --sort dso,symbol,srcfile --stdio -q -g none 2>/dev/null |
  awk '$1 ~ /%$/ && ($3 == "[.]" || $3 == "[k]") {
    p = $1; sub(/%/, "", p); s = $4; src = ($5 == "-" ? "" : $5)
    if ($3 == "[k]") st = "kernel"
    else if ($2 ~ /^libsqlite3/) st = "store"
    else if (s ~ /xpress|lz77|decompress/ || src ~ /^etl_xpress/) st = "decompress"
    else if (src ~ /^etl_merge/ || s ~ /^etl_merge/) st = "merge"
    else if (src ~ /^(db_stk|db_stacks|etl_pending|etl_stacks|etl_defer)/ ||
             s ~ /^(join_half|flush_sample|hold_put|stk_)/) st = "stacks"
    else if (src ~ /^(db_agg|db_dpc|db_resv|db_reservoir|db_etw|sink_)/ ||
             s ~ /^(agg_|reserve_rec|store_loop|flush$|up_cpu_sample|up_dpcisr)/) st = "aggregate"
    else if (src ~ /^(api_|find_)/ || s ~ /^(api_|find_|bfly_)/) st = "after-ingest"
    else if (src ~ /^etl_/ || s ~ /^(etl_|lookup_space|run$|module_of|merge_pass)/) st = "decode"
    else if (src ~ /^db_/ || s ~ /^(sqlite3|pcache|btree|vdbe)/) st = "store"
    else if (s ~ /qsort|msort/) st = "libc sort"
    else st = "other"
    t[st] += p
  } END {
    n = split("kernel,decompress,decode,merge,stacks,aggregate,store,after-ingest,libc sort,other", o, ",")
    for (i = 1; i <= n; i++) printf "%s%s %.0f %%", (i > 1 ? ", " : ""), o[i], t[o[i]]
    printf "\n"
  }' > "$tmp/row"
echo "| $label: where the CPU time goes (perf, share of samples) | $(cat "$tmp/row") | | |"
