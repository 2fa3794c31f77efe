#!/usr/bin/env bash
# Puts the static lsm-loader (vm/loader/lsm-loader.c with libbpf, libelf, zlib and zstd linked in, so it
# runs in the busybox guest without any shared library) into $VM_CACHE/loader/lsm-loader.
# The .vsix and the npm package ship it prebuilt (dist/lsm-loader-x86_64, from `npm run package`), so a
# user needs neither a C compiler nor static libbpf: an installed package always copies that binary,
# which was built from the very source shipped beside it. A development checkout (a .git at the root)
# copies it only while it is not older than the source and this script: an edited lsm-loader.c is
# compiled.
#   build-loader.sh              copy or compile (cached)
#   build-loader.sh --prebuilt   exit 0 when the prebuilt binary is the one to use (host-tools.sh asks)
source "$(dirname "$0")/lib.sh"

src="$VM_DIR/loader/lsm-loader.c"
out="$VM_CACHE/loader/lsm-loader"
# The guest's machine (qemu-system-x86_64), whatever the host's.
prebuilt="$VM_REPO_ROOT/dist/lsm-loader-x86_64"

prebuilt_usable() {
  [ -f "$prebuilt" ] || return 1
  [ -e "$VM_REPO_ROOT/.git" ] || return 0
  ! [ "$src" -nt "$prebuilt" ] && ! [ "$0" -nt "$prebuilt" ]
}
if [ "${1:-}" = --prebuilt ]; then prebuilt_usable; exit; fi

mkdir -p "$(dirname "$out")"
if prebuilt_usable; then
  # Compared by content, not by time: the per-user cache outlives upgrades, and npm gives every file
  # of a package the same old mtime.
  if [ -x "$out" ] && cmp -s "$prebuilt" "$out"; then log "loader cached (prebuilt)"; exit 0; fi
  install -m 755 "$prebuilt" "$out.tmp"
  mv "$out.tmp" "$out"
  log "loader: prebuilt $prebuilt"
  exit 0
fi
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  log "loader cached"; exit 0
fi
command -v gcc >/dev/null 2>&1 ||
  die "compiling $src needs gcc and static libbpf, libelf, zlib and libzstd (Debian/Ubuntu: gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev); the prebuilt $prebuilt is missing, or older than the source or this script"
gcc -static -O2 -Wall -Wextra -o "$out.tmp" "$src" -lbpf -lelf -lz -lzstd
mv "$out.tmp" "$out"
log "loader built: $out"
