#!/usr/bin/env bash
# Puts the static lsm-action (vm/helper/lsm-action.c, the policy tests' action helper, linked statically
# so it runs in the busybox guest, and on any target of the same machine, without a shared library)
# into $VM_CACHE/helper/lsm-action. As build-loader.sh does: the prebuilt dist/lsm-action-x86_64 of an
# installed package is always used; in a development checkout only while it is not older than the
# source and this script.
#   build-helper.sh              copy or compile (cached)
#   build-helper.sh --prebuilt   exit 0 when the prebuilt binary is the one to use (host-tools.sh asks)
source "$(dirname "$0")/lib.sh"

src="$VM_DIR/helper/lsm-action.c"
out="$VM_CACHE/helper/lsm-action"
# The guest's machine (qemu-system-x86_64), whatever the host's.
prebuilt="$VM_REPO_ROOT/dist/lsm-action-x86_64"

prebuilt_usable() {
  [ -f "$prebuilt" ] || return 1
  [ -e "$VM_REPO_ROOT/.git" ] || return 0
  ! [ "$src" -nt "$prebuilt" ] && ! [ "$0" -nt "$prebuilt" ]
}
if [ "${1:-}" = --prebuilt ]; then prebuilt_usable; exit; fi

mkdir -p "$(dirname "$out")"
if prebuilt_usable; then
  # By content, not by time (see build-loader.sh).
  if [ -x "$out" ] && cmp -s "$prebuilt" "$out"; then log "action helper cached (prebuilt)"; exit 0; fi
  install -m 755 "$prebuilt" "$out.tmp"
  mv "$out.tmp" "$out"
  log "action helper: prebuilt $prebuilt"
  exit 0
fi
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  log "action helper cached"; exit 0
fi
command -v gcc >/dev/null 2>&1 ||
  die "compiling $src needs gcc and a static libc (Debian/Ubuntu: gcc libc6-dev); the prebuilt $prebuilt is missing, or older than the source or this script"
gcc -static -O2 -Wall -Wextra -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
log "action helper built: $out"
