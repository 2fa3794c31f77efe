# Sourced by build-loader.sh, build-helper.sh and build-prober.sh: puts one static tool (linked statically
# so it runs in the busybox guest, and on any target of the same machine, without a shared library) into
# the VM cache. The .vsix and the npm package ship each tool prebuilt (dist/NAME-x86_64, from `npm run
# package`), so a user needs neither a C compiler nor static libraries: an installed package always
# copies that binary, which was built from the very source shipped beside it. A development checkout (a
# .git at the root) copies it only while it is not older than the source and these scripts: an edited
# source is compiled.
#   static_tool LABEL SOURCE OUT NEEDS GCC-ARGS...
#     LABEL for log lines; NEEDS: the packages compiling needs, for the message when gcc is missing.
#     With --prebuilt as the calling script's first argument: exit 0 when the prebuilt binary is the one
#     to use (host-tools.sh asks), 1 otherwise.
static_tool() {
  local label="$1" src="$2" out="$3" needs="$4"
  shift 4
  # The guest's machine (qemu-system-x86_64), whatever the host's.
  local prebuilt="$VM_REPO_ROOT/dist/$(basename "$out")-x86_64"
  local scripts=("$0" "${BASH_SOURCE[0]}")
  prebuilt_usable() {
    [ -f "$prebuilt" ] || return 1
    [ -e "$VM_REPO_ROOT/.git" ] || return 0
    [ "$src" -nt "$prebuilt" ] && return 1
    local s
    for s in "${scripts[@]}"; do [ "$s" -nt "$prebuilt" ] && return 1; done
    return 0
  }
  if [ "${STATIC_TOOL_ASK_PREBUILT:-}" = 1 ]; then prebuilt_usable; exit; fi

  mkdir -p "$(dirname "$out")"
  if prebuilt_usable; then
    # Compared by content, not by time: the per-user cache outlives upgrades, and npm gives every file
    # of a package the same old mtime.
    if [ -x "$out" ] && cmp -s "$prebuilt" "$out"; then log "$label cached (prebuilt)"; exit 0; fi
    install -m 755 "$prebuilt" "$out.tmp"
    mv "$out.tmp" "$out"
    log "$label: prebuilt $prebuilt"
    exit 0
  fi
  local fresh=1 s
  [ -x "$out" ] && [ "$out" -nt "$src" ] || fresh=0
  for s in "${scripts[@]}"; do [ "$out" -nt "$s" ] || fresh=0; done
  if [ "$fresh" = 1 ]; then log "$label cached"; exit 0; fi
  command -v gcc >/dev/null 2>&1 ||
    die "compiling $src needs gcc and $needs; the prebuilt $prebuilt is missing, or older than the source or these scripts"
  gcc -static -O2 -Wall -Wextra -o "$out.tmp" "$src" "$@"
  mv "$out.tmp" "$out"
  log "$label built: $out"
}
