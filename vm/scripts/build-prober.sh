#!/usr/bin/env bash
# The static lsm-probe (vm/prober/lsm-probe.c, which asks the running kernel what BPF LSM allows on each
# hook; libbpf, libelf, zlib and zstd linked in) into $VM_CACHE/prober/lsm-probe, prebuilt or compiled
# as static-tool.sh says.
#   build-prober.sh              copy or compile (cached)
#   build-prober.sh --prebuilt   exit 0 when the prebuilt binary is the one to use
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/static-tool.sh"
[ "${1:-}" = --prebuilt ] && STATIC_TOOL_ASK_PREBUILT=1
# -Wl,--gc-sections: libbpf's ELF and object code, which the prober never calls, is left out.
static_tool prober "$VM_DIR/prober/lsm-probe.c" "$VM_CACHE/prober/lsm-probe" \
  "static libbpf, libelf, zlib and libzstd (Debian/Ubuntu: gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev libzstd-dev)" \
  -ffunction-sections -fdata-sections -Wl,--gc-sections -lbpf -lelf -lz -lzstd
