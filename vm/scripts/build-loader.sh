#!/usr/bin/env bash
# The static lsm-loader (vm/loader/lsm-loader.c; libbpf, libelf, zlib and zstd linked in) into
# $VM_CACHE/loader/lsm-loader, prebuilt or compiled as static-tool.sh says.
#   build-loader.sh              copy or compile (cached)
#   build-loader.sh --prebuilt   exit 0 when the prebuilt binary is the one to use (host-tools.sh asks)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/static-tool.sh"
[ "${1:-}" = --prebuilt ] && STATIC_TOOL_ASK_PREBUILT=1
static_tool loader "$VM_DIR/loader/lsm-loader.c" "$VM_CACHE/loader/lsm-loader" \
  "static libbpf, libelf, zlib and libzstd (Debian/Ubuntu: gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev)" \
  -lbpf -lelf -lz -lzstd
