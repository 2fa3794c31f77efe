#!/usr/bin/env bash
# Builds vm/loader/lsm-loader.c into a static binary (libbpf, libelf, zlib, zstd linked in), so it
# runs in the busybox guest without any shared library.
source "$(dirname "$0")/lib.sh"

src="$VM_DIR/loader/lsm-loader.c"
out="$VM_CACHE/loader/lsm-loader"
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
  log "loader cached"; exit 0
fi
mkdir -p "$(dirname "$out")"
gcc -static -O2 -Wall -Wextra -o "$out.tmp" "$src" -lbpf -lelf -lz -lzstd
mv "$out.tmp" "$out"
log "loader built: $out"
