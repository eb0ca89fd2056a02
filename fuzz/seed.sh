#!/usr/bin/env bash
# seed.sh HARNESS DIR — fill a libFuzzer corpus directory with seeds for one harness:
# the shared sample files that harness parses (and anything in fuzz/seeds/HARNESS/).
set -eu
name=$1; dir=$2
here=$(cd "$(dirname "$0")" && pwd)
samples=${ETLSCOPE_SHARED:-$here/../../shared}/samples
copy() { for f in "$@"; do [ -f "$f" ] && cp -f "$f" "$dir/" || true; done; }
case $name in
  fuzz_pdh_text) copy "$samples"/perfmon/*.csv "$samples"/perfmon/*.tsv "$samples"/perfmon/powershell_CorruptBlg.blg ;;
  fuzz_etl*|fuzz_xpress)
    copy "$samples"/etl/*.etl
    # Small traces with DPC/ISR, samples and stacks, written by the trace writer.
    gen=$here/../build/tools/etlgen/etlgen
    if [ -x "$gen" ]; then
      for c in false true; do
        printf '{"cpus":2,"duration_s":0.05,"compressed":%s,"buffer_size":8192,"sample_rate_hz":200,"stack_keys":%s,"modules":[{"name":"ndis.sys","base":"0xfffff80000100000","size":65536,"dpc":{"rate":2000,"duration_us":{"dist":"uniform","min":5,"max":300}},"isr":{"rate":500,"msi":true,"duration_us":{"dist":"fixed","value":3}},"samples":{"weight":1,"stack":["ndis.sys"]}}]}' "$c" "$c" > "$dir/scenario.json"
        "$gen" "$dir/scenario.json" "$dir/etlgen-$c.etl" >/dev/null 2>&1 || true
      done
      rm -f "$dir/scenario.json"
    fi ;;
  fuzz_blg*) copy "$samples"/perfmon/*.blg ;;
  fuzz_api_request)
    printf '\000c=0&c=1&from=1600000010000&to=1600000100000&points=7' > "$dir/series"
    printf '\001counter=%%25+DPC+Time&points=3' > "$dir/cpu"
    printf '\005\n{"name":"x","notes":"y","expires":null}' > "$dir/patch" ;;
  fuzz_xperf_text) copy "$samples"/xperf/*.txt ;;
  fuzz_wpa_csv) copy "$samples"/wpa/*.csv ;;
  fuzz_kb*) ;; # names, not files: only fuzz/seeds/fuzz_kb_lookup/
  fuzz_io_payload) ;; # payloads, not files: only fuzz/seeds/fuzz_io_payload/
  *) copy "$samples"/*/* ;;
esac
[ -d "$here/seeds/$name" ] && cp -f "$here/seeds/$name"/* "$dir/" 2>/dev/null || true
exit 0
