#!/usr/bin/env bash
# gen_pdb.sh OUTDIR — builds the test DLL + PDB from tests/symbols/fixtures with Debian's
# clang-cl and lld-link, then writes OUTDIR/expect.txt from tools that are not our reader:
#   guid KEY           llvm-pdbutil's GUID without braces/dashes + its age in hex (SymStore key)
#   section N VA VSIZE llvm-pdbutil's section headers (hex)
#   proc NAME RVA SIZE llvm-pdbutil's S_GPROC32/S_LPROC32 records (RVA = section VA + offset)
#   public NAME RVA CODE  llvm-pdbutil's S_PUB32 records; CODE 1 if flagged code/function
#   export NAME RVA    llvm-objdump's export table of the DLL (no PDB involved)
# Exits 77 (ctest: skipped) when the toolchain is missing. Never commits binaries: all output
# goes to OUTDIR (the build tree).
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
pick() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }; done; return 1; }
versions="19 18 17 16 15 14"
cands() { local b=$1; echo "$b"; for v in $versions; do echo "$b-$v"; done; }
CLCL=$(pick $(cands clang-cl)) || { echo "gen_pdb: no clang-cl"; exit 77; }
LINK=$(pick $(cands lld-link)) || { echo "gen_pdb: no lld-link"; exit 77; }
PDBUTIL=$(pick $(cands llvm-pdbutil)) || { echo "gen_pdb: no llvm-pdbutil"; exit 77; }
OBJDUMP=$(pick $(cands llvm-objdump)) || { echo "gen_pdb: no llvm-objdump"; exit 77; }
mkdir -p "$out"
cd "$out"
# clang-cl reads a leading "/" as an option: file names go after "--".
cl=("$CLCL" --target=x86_64-pc-windows-msvc /c /Od /GS- /nologo)
"${cl[@]}" /Z7 /Fowith_debug.obj -- "$here/fixtures/with_debug.c"
"${cl[@]}" /Fono_debug.obj -- "$here/fixtures/no_debug.c"
"$LINK" /nologo /dll /noentry /nodefaultlib /debug /out:etlfix.dll /pdb:etlfix.pdb \
  with_debug.obj no_debug.obj >/dev/null
"$PDBUTIL" dump --summary --section-headers --publics --symbols etlfix.pdb > pdbutil.txt
"$OBJDUMP" -p etlfix.dll > objdump.txt
awk '
  function hex(s,   i, c, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v }
  /^ *GUID: \{/   { g = $2; gsub(/[{}-]/, "", g) }
  /^ *Age: /      { age = $2 }
  /SECTION HEADER #/ { sec = substr($3, 2) + 0 }
  /virtual size$/    { vsize[sec] = hex($1) }
  /virtual address$/ { va[sec] = hex($1) }
  /S_PUB32|S_GPROC32|S_LPROC32/ { kind = ($0 ~ /S_PUB32/) ? "public" : "proc"
    name = $0; sub(/^[^`]*`/, "", name); sub(/`.*$/, "", name); next_is = 1; next }
  next_is == 1 && /flags = / { code = ($0 ~ /flags = [^,]*(function|code)/) ? 1 : 0 }
  next_is == 1 && /addr = / { next_is = 0
    a = $0; sub(/.*addr = /, "", a); split(a, so, /[:,]/)
    size = 0; if ($0 ~ /code size = /) { z = $0; sub(/.*code size = /, "", z); size = z + 0 }
    rec[++n] = kind " " name " " (so[1] + 0) " " (so[2] + 0) " " size " " code; next }
  END {
    printf "guid %s%X\n", g, age
    for (s in va) printf "section %d %d %d\n", s, va[s], vsize[s]
    for (i = 1; i <= n; i++) { split(rec[i], f, " ")
      if (f[1] == "proc") printf "proc %s %d %d\n", f[2], va[f[3]] + f[4], f[5]
      else printf "public %s %d %d\n", f[2], va[f[3]] + f[4], f[6] }
  }' pdbutil.txt > expect.txt
awk '/^Export Table:/ { on = 1; next } on && /^$/ { on = 0 }
     on && $2 ~ /^0x/ && NF == 3 { printf "export %s %d\n", $3, strtonum_hex($2) }
     function strtonum_hex(s,   i, v) { v = 0; s = tolower(substr(s, 3))
       for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
       return v }' objdump.txt >> expect.txt
grep -q '^proc ' expect.txt && grep -q '^public ' expect.txt && grep -q '^export ' expect.txt ||
  { echo "gen_pdb: could not parse the tools' output"; exit 1; }
# A C++ image without debug info: its functions are decorated publics only (cxxfix.pdb);
# expect_cxx.txt lists "cxx DECORATED RVA" from llvm-pdbutil (undecorating: test_sym_demangle).
"$CLCL" --target=x86_64-pc-windows-msvc /c /Od /GS- /nologo /Focxx_public.obj -- \
  "$here/fixtures/cxx_public.cpp"
"$LINK" /nologo /dll /noentry /nodefaultlib /debug /out:cxxfix.dll /pdb:cxxfix.pdb \
  cxx_public.obj >/dev/null
"$PDBUTIL" dump --section-headers --publics cxxfix.pdb > pdbutil_cxx.txt
awk '
  function hex(s,   i, c, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v }
  /SECTION HEADER #/ { sec = substr($3, 2) + 0 }
  /virtual address$/ { va[sec] = hex($1) }
  /S_PUB32/ { name = $0; sub(/^[^`]*`/, "", name); sub(/`.*$/, "", name); pending = 1; next }
  pending && /addr = / { pending = 0; a = $0; sub(/.*addr = /, "", a); split(a, so, /[:,]/)
    rec[++n] = name " " (so[1] + 0) " " (so[2] + 0) }
  END { for (i = 1; i <= n; i++) { split(rec[i], f, " "); printf "cxx %s %d\n", f[1], va[f[2]] + f[3] } }
' pdbutil_cxx.txt > expect_cxx.txt
grep -q '^cxx ?' expect_cxx.txt || { echo "gen_pdb: no decorated publics in cxxfix.pdb"; exit 1; }
echo "gen_pdb: $(grep -c . expect.txt) expectations in $out/expect.txt"
