# Sourced by scripts/abi_check.sh and scripts/abi_baseline.sh: how the
# library is built for an ABI dump and how the dump is made, kept in one place
# so that the baseline and the check can never be produced differently.

abi_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abi_baseline="$abi_root/abi/libllamac.so.0.abi"
abi_suppressions="$abi_root/abi/suppressions.ini"

# Configures (if needed) and builds only the shared library in build dir $1.
# A new build dir gets gcc in release mode plus -g (-Ddebug=true keeps
# buildtype=release, -O3 and NDEBUG; gcc's -g never changes the code).
abi_build_library() {
  local dir=$1
  if [ ! -f "$dir/build.ninja" ]; then
    CC=gcc meson setup "$dir" -Ddebug=true -Dtests=false >/dev/null
  fi
  meson compile -C "$dir" lib/llamac:shared_library >/dev/null
}

# The library abidw reads, after checking that it can say more than names:
# without DWARF abidw sees only symbol names and abidiff would pass any type
# change; DWARF from another compiler describes the same types differently.
abi_library_of() {
  local lib="$1/lib/libllamac.so.0" source
  # abidw is told which headers are public by path: they must be the ones
  # the library was compiled from.
  source=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["directories"]["source"])' \
    "$1/meson-info/meson-info.json")
  if [ "$(cd "$source" && pwd -P)" != "$(cd "$abi_root" && pwd -P)" ]; then
    echo "abi: $1 was configured from $source, not from $abi_root" >&2; return 1
  fi
  if [ ! -e "$lib" ]; then
    echo "abi: $lib not found (build the shared library first)" >&2; return 1
  fi
  # (Outputs are captured before grep -q reads them: grep stopping early
  # would kill readelf with SIGPIPE, which pipefail counts as a failure.)
  local sections
  sections=$(readelf -S "$lib")
  if ! grep -q '\.debug_info' <<<"$sections"; then
    echo "abi: $lib has no debug info: configure $1 with -Ddebug=true (adds -g)" >&2; return 1
  fi
  local producers
  producers=$(readelf --debug-dump=info "$lib" | grep DW_AT_producer | sed 's/.*): //' | sort -u)
  if ! grep -q '^GNU C' <<<"$producers" || grep -qv '^GNU C' <<<"$producers"; then
    echo "abi: $lib was not compiled by gcc; the baseline is gcc's view of the types" >&2; return 1
  fi
  echo "$lib"
}

# Writes the ABI of library $1 to file $2 in a form that depends only on the
# source and the compiler: types defined outside include/ (the opaque
# handles' real layouts) are dropped, type ids are hashes of type names, and
# the build directory's paths are removed.
abi_dump() {
  abidw --exported-interfaces-only --headers-dir "$abi_root/include" --drop-private-types \
    --no-show-locs --no-corpus-path --type-id-style hash "$1" |
    sed -E -e "s# path='[^']*/(lib/[^']*)'# path='\\1'#" \
           -e "s# comp-dir-path='[^']*'##" > "$2"
  abi_all_linked "$2"
}

# abidiff compares only functions whose declaration is linked to their ELF
# symbol. Without --exported-interfaces-only, abidw 2.2 left 36 of 168
# exports unlinked (each also declared, without an address, in the units
# that call it) and their signatures went unchecked: refuse such a dump.
abi_all_linked() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
symbols = set(re.findall(r"<elf-symbol name='(\w+)' type='func-type'", text))
linked = set(re.findall(r"<function-decl name='\w+'[^>]*elf-symbol-id='(\w+)'", text))
missing = sorted(symbols - linked)
if missing:
    sys.exit("abi: %d of %d exported functions have no declaration in the dump "
             "(abidiff would skip them): %s" % (len(missing), len(symbols), ", ".join(missing[:8])))
PY
}
