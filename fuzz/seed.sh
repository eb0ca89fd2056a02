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
  fuzz_etl*|fuzz_xpress) copy "$samples"/etl/*.etl ;;
  fuzz_blg*) copy "$samples"/perfmon/*.blg ;;
  fuzz_xperf_text) copy "$samples"/xperf/*.txt ;;
  fuzz_wpa_csv) copy "$samples"/wpa/*.csv ;;
  fuzz_kb*) ;; # names, not files: only fuzz/seeds/fuzz_kb_lookup/
  *) copy "$samples"/*/* ;;
esac
[ -d "$here/seeds/$name" ] && cp -f "$here/seeds/$name"/* "$dir/" 2>/dev/null || true
exit 0
