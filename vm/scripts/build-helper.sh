#!/usr/bin/env bash
# Builds vm/helper/lsm-action.c (the policy tests' action helper) into a static binary, so it runs in
# the busybox guest, and on any target of the same machine, without a shared library.
source "$(dirname "$0")/lib.sh"

src="$VM_DIR/helper/lsm-action.c"
out="$VM_CACHE/helper/lsm-action"
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  log "action helper cached"; exit 0
fi
mkdir -p "$(dirname "$out")"
gcc -static -O2 -Wall -Wextra -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
log "action helper built: $out"
