# Shared settings for the VM build scripts: where the cache lives, logging, the kernel packages.
# Sourced, not run. Everything built lands under $VM_CACHE (git-ignored); nothing touches /boot.
set -euo pipefail
# A failure inside $(...) stops the script too (bash leaves -e off there otherwise).
shopt -s inherit_errexit

VM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_DIR="$VM_REPO_ROOT/vm"
VM_CACHE="${BPF_LSM_VM_CACHE:-$VM_REPO_ROOT/.cache/vm}"
VM_APT="$VM_CACHE/apt"          # the private apt configuration, lists and .deb files (apt-private.sh)
VM_SYSROOT="$VM_CACHE/sysroot"  # guest userland, unpacked with dpkg -x
VM_KEYS="$VM_CACHE/keys"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# The kernel meta-package per series: apt resolves it to the current ABI package, so a
# security update does not break the build; the resolved name is then kept in the cache.
kernel_meta_package() {
  case "$1" in
    6.1) echo linux-image-amd64 ;;
    6.12) echo linux-image-6.12-amd64 ;;
    *) die "unknown kernel series '$1' (use 6.1 or 6.12)" ;;
  esac
}
