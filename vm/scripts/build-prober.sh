#!/usr/bin/env bash
# Puts the static lsm-probe (vm/prober/lsm-probe.c, which asks the running kernel what BPF LSM allows on
# each hook: libbpf, libelf, zlib and zstd linked in, so it runs in the busybox guest and on any target
# of the same machine without a shared library) into $VM_CACHE/prober/lsm-probe. As build-loader.sh does:
# the prebuilt dist/lsm-probe-x86_64 of an installed package is always used; in a development checkout
# only while it is not older than the source and this script.
#   build-prober.sh              copy or compile (cached)
#   build-prober.sh --prebuilt   exit 0 when the prebuilt binary is the one to use
source "$(dirname "$0")/lib.sh"

src="$VM_DIR/prober/lsm-probe.c"
out="$VM_CACHE/prober/lsm-probe"
# The guest's machine (qemu-system-x86_64), whatever the host's.
prebuilt="$VM_REPO_ROOT/dist/lsm-probe-x86_64"

prebuilt_usable() {
  [ -f "$prebuilt" ] || return 1
  [ -e "$VM_REPO_ROOT/.git" ] || return 0
  ! [ "$src" -nt "$prebuilt" ] && ! [ "$0" -nt "$prebuilt" ]
}
if [ "${1:-}" = --prebuilt ]; then prebuilt_usable; exit; fi

mkdir -p "$(dirname "$out")"
if prebuilt_usable; then
  # By content, not by time (see build-loader.sh).
  if [ -x "$out" ] && cmp -s "$prebuilt" "$out"; then log "prober cached (prebuilt)"; exit 0; fi
  install -m 755 "$prebuilt" "$out.tmp"
  mv "$out.tmp" "$out"
  log "prober: prebuilt $prebuilt"
  exit 0
fi
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  log "prober cached"; exit 0
fi
command -v gcc >/dev/null 2>&1 ||
  die "compiling $src needs gcc and static libbpf, libelf, zlib and libzstd (Debian/Ubuntu: gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev); the prebuilt $prebuilt is missing, or older than the source or this script"
# -Wl,--gc-sections: libbpf's ELF and object code, which the prober never calls, is left out.
gcc -static -O2 -Wall -Wextra -ffunction-sections -fdata-sections -Wl,--gc-sections -o "$out.tmp" "$src" -lbpf -lelf -lz -lzstd
mv "$out.tmp" "$out"
log "prober built: $out"
