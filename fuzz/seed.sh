#!/usr/bin/env bash
# seed.sh HARNESS DIR — fill a libFuzzer corpus directory with seeds for one harness:
# the shared sample files that harness parses (and anything in fuzz/seeds/HARNESS/).
set -eu
name=$1; dir=$2
here=$(cd "$(dirname "$0")" && pwd)
samples=${ETLSCOPE_SHARED:-$here/../../shared}/samples
copy() { for f in "$@"; do [ -f "$f" ] && cp -f "$f" "$dir/" || true; done; }
case $name in
  fuzz_pdh_text) copy "$samples"/perfmon/*.csv "$samples"/perfmon/*.tsv "$samples"/perfmon/powershell_CorruptBlg.blg
    # Logs in ANSI code pages, so the code-page detection and iconv conversion are fuzzed.
    for cp in CP1251:Процессор:Процесс CP932:プロセッサ:プロセス CP936:处理器:进程; do
      IFS=: read -r enc proc task <<<"$cp"
      printf '"(PDH-CSV 4.0) (UTC)(0)","\\\\S\\%s(0)\\%% x","\\\\S\\%s(a)\\%% y"\r\n"03/01/2024 10:00:00.000","1","2"\r\n' \
        "$proc" "$task" | iconv -f UTF-8 -t "$enc" > "$dir/ansi-$enc.csv" 2>/dev/null || true
    done ;;
  fuzz_etl*|fuzz_xpress)
    copy "$samples"/etl/*.etl
    # fuzz_etl_store reads any upload: a perfmon log saved as UTF-16 takes the BOM path.
    [ "$name" = fuzz_etl_store ] && { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE \
      "$samples"/perfmon/powershell_CounterSamples.csv; } > "$dir/utf16.csv" 2>/dev/null || true
    # Small traces with DPC/ISR, samples (some inside the DPCs) and stacks, written by the
    # trace writer.
    gen=$here/../build/tools/etlgen/etlgen
    if [ -x "$gen" ]; then
      # stack caching (true): keys evicted mid-trace and defined again at the end, and a
      # user key never defined (no user-space module) — the one pass's deferred samples
      for c in false true; do
        k=0; [ $c = true ] && k=1
        printf '{"cpus":2,"duration_s":0.05,"compressed":%s,"buffer_size":8192,"sample_rate_hz":200,"stack_keys":%s,"stack_key_defs":%s,"user_keys":%s,"modules":[{"name":"ndis.sys","base":"0xfffff80000100000","size":65536,"dpc":{"rate":2000,"duration_us":{"dist":"uniform","min":5,"max":300},"inside":{"every_us":40,"flag":true,"stacks":true,"samples":[{"leaf":"ndis.sys","callers":["ndis.sys"]}]}},"isr":{"rate":500,"msi":true,"duration_us":{"dist":"fixed","value":3}},"samples":{"weight":1,"stack":["ndis.sys"]}}]}' "$c" "$c" "$k" "$c" > "$dir/scenario.json"
        "$gen" "$dir/scenario.json" "$dir/etlgen-$c.etl" >/dev/null 2>&1 || true
      done
      # CSwitch, ReadyThread, SysClEnter/SysClExit, samples inside syscalls, DPCs
      printf '{"cpus":2,"duration_s":0,"buffer_size":8192,"modules":[{"name":"ntoskrnl.exe","base":"0xfffff80000000000","size":1048576,"samples":{"weight":0,"stack":["tedrdrv.sys"]}},{"name":"tedrdrv.sys","base":"0xfffff80010000000","size":65536}],"syscalls":{"count":50,"cpu":0,"module":"ntoskrnl.exe","offset":4096,"duration_us":3.3,"gap_us":2,"sample_every":5},"ready_wait":{"count":20,"cpu":1,"dpc_module":"tedrdrv.sys","run_us":5,"wait_us":20,"ready_us":10}}' > "$dir/scenario.json"
      "$gen" "$dir/scenario.json" "$dir/etlgen-sched.etl" >/dev/null 2>&1 || true
      rm -f "$dir/scenario.json"
    fi ;;
  fuzz_blg*) copy "$samples"/perfmon/*.blg ;;
  fuzz_api_request)
    printf '\000c=0&c=1&from=1600000010000&to=1600000100000&points=7' > "$dir/series"
    printf '\001counter=%%25+DPC+Time&points=3' > "$dir/cpu"
    printf '\005\n{"name":"x","notes":"y","expires":null}' > "$dir/patch" ;;
  fuzz_xperf_text) copy "$samples"/xperf/*.txt ;;
  fuzz_stacktags) copy "$here"/../kb/default.stacktags "$samples"/../research/stacktags/*.stacktags ;;
  fuzz_wpa_csv) copy "$samples"/wpa/*.csv ;;
  fuzz_pdb)
    # A PDB written by lld-link (tests/symbols/gen_pdb.sh; skipped without clang-cl/lld-link).
    "$here/../tests/symbols/gen_pdb.sh" "$dir/.gen" >/dev/null 2>&1 && cp -f "$dir/.gen/etlfix.pdb" "$dir/" || true
    rm -rf "$dir/.gen" ;;
  fuzz_ingest_grow) # small samples behind the harness's 3 control bytes: whole, and cut at 4096
    for f in "$samples"/perfmon/*.csv "$samples"/perfmon/powershell_CorruptBlg.blg \
             "$samples"/etl/airbus-lxcore_kernel.etl "$samples"/xperf/*.txt; do
      [ -f "$f" ] || continue
      b=$(basename "$f")
      { printf '\377\377\003'; cat "$f"; } > "$dir/whole-$b"
      { printf '\020\000\004'; cat "$f"; } > "$dir/cut-$b"
    done ;;
  fuzz_kb*) ;; # names, not files: only fuzz/seeds/fuzz_kb_lookup/
  fuzz_io_payload) ;; # payloads, not files: only fuzz/seeds/fuzz_io_payload/
  fuzz_fact_blob) ;; # blobs from run files: only fuzz/seeds/fuzz_fact_blob/
  fuzz_stk_blob) ;; # blobs from run files: only fuzz/seeds/fuzz_stk_blob/
  *) copy "$samples"/*/* ;;
esac
[ -d "$here/seeds/$name" ] && cp -f "$here/seeds/$name"/* "$dir/" 2>/dev/null || true
exit 0
