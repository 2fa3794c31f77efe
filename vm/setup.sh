#!/usr/bin/env bash
# Prepares everything the test VM needs, cached under .cache/vm: host tools (apt-get install when
# missing), guest userland, kernels, SSH keys, the static lsm-loader, one initramfs per kernel.
#   vm/setup.sh            every kernel (6.12, 6.1, 7.2, 7.3)
#   vm/setup.sh 6.12       one kernel
# Safe to rerun: every step skips work whose output is already cached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
series=("$@")
[ "${#series[@]}" -gt 0 ] || series=(6.12 6.1 7.2 7.3)  # lib.sh VM_KERNEL_SERIES, kernels.ts KERNEL_SERIES

start=$(date +%s%N)
# One setup at a time per cache (a test run and `vm start` may both call this).
cache="${BPF_LSM_VM_CACHE:-$here/../.cache/vm}"
mkdir -p "$cache"
exec 9> "$cache/.setup.lock"
flock 9
bash "$here/scripts/host-tools.sh"
bash "$here/scripts/fetch-userland.sh"
bash "$here/scripts/keys.sh"
bash "$here/scripts/build-loader.sh"
bash "$here/scripts/build-helper.sh"
bash "$here/scripts/build-prober.sh"
for s in "${series[@]}"; do
  bash "$here/scripts/fetch-kernel.sh" "$s"
  bash "$here/scripts/build-initramfs.sh" "$s"
done
echo "[vm] setup done in $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
