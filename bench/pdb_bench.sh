#!/usr/bin/env bash
# pdb_bench.sh [FUNCS_PER_FILE FILES] — builds a large DLL + PDB with clang-cl and lld-link
# (default 12 files × 8 000 functions, about 96 000 procedures; the PDB is ~45 MB) in
# build/bench-pdb (kept between runs: the compile takes minutes), then resolves 100 000
# distinct RVAs spread over .text with bench/pdb_bench and prints its JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-8000}; files=${2:-12}
out=build/bench-pdb/${files}x${per}
mkdir -p "$out"
pick() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }; done; return 1; }
CLCL=$(pick clang-cl clang-cl-19 clang-cl-18 clang-cl-17 clang-cl-16 clang-cl-15 clang-cl-14) || { echo "no clang-cl"; exit 1; }
LINK=$(pick lld-link lld-link-14) || { echo "no lld-link"; exit 1; }
OBJDUMP=$(pick llvm-objdump llvm-objdump-14) || { echo "no llvm-objdump"; exit 1; }
if [ ! -f "$out/big.pdb" ]; then
  for ((f = 0; f < files; f++)); do
    src=$out/m$f.c
    {
      echo "struct s$f { int a; long b; char c[16]; };"
      for ((i = 0; i < per; i++)); do
        if ((i % 3 == 0)); then st=static; else st='__declspec(dllexport)'; fi
        echo "__declspec(noinline) $st int fn_${f}_$i(struct s$f *p, int x) { int y = x * $((i + 1)); for (int k = 0; k < x; k++) y += p->c[k & 15] + p->a; return y + (int)p->b; }"
      done
      echo "__declspec(dllexport) int use_$f(struct s$f *p) { int r = 0;"
      for ((i = 0; i < per; i += 3)); do echo " r += fn_${f}_$i(p, r);"; done
      echo " return r; }"
    } > "$src"
    "$CLCL" --target=x86_64-pc-windows-msvc /c /Z7 /O1 /GS- /nologo "/Fo$out/m$f.obj" -- "$src"
  done
  "$LINK" /nologo /dll /noentry /nodefaultlib /debug "/out:$out/big.dll" "/pdb:$out/big.pdb" "$out"/m*.obj >/dev/null
fi
# .text as RVAs: its VMA minus the image base, and its size, from llvm-objdump.
read -r size vma < <("$OBJDUMP" -h "$out/big.dll" | awk '$2 == ".text" { print $3, $4 }')
base=$("$OBJDUMP" -p "$out/big.dll" | awk '$1 == "ImageBase" { print $2 }')
lo=$((0x$vma - 0x$base)); hi=$((lo + 0x$size))
echo "pdb_bench: $(du -m "$out/big.pdb" | cut -f1) MB PDB, .text RVA 0x$(printf %x $lo)-0x$(printf %x $hi)"
build/bench/pdb_bench "$out/big.pdb" 100000 "$lo" "$hi"
