# Shared settings for the VM build scripts: where the cache lives, logging, the kernel packages.
# Sourced, not run. Everything built lands under $VM_CACHE (git-ignored); nothing touches /boot.
set -euo pipefail
# A failure inside $(...) stops the script too (bash leaves -e off there otherwise).
shopt -s inherit_errexit

VM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_DIR="$VM_REPO_ROOT/vm"
VM_CACHE="${BPF_LSM_VM_CACHE:-$VM_REPO_ROOT/.cache/vm}"
VM_SYSROOT="$VM_CACHE/sysroot"  # guest userland, unpacked with dpkg -x
VM_KEYS="$VM_CACHE/keys"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# The private apt configurations (apt-private.sh), each with its own sources, lists and .deb files:
#   bookworm   $VM_CACHE/apt           Debian 12: the guest userland and the 6.1 and 6.12 kernels
#   frontier   $VM_CACHE/apt-frontier  sid, trixie and trixie-backports: the 7.x kernels (and their
#                                      sources, for whoever needs linux-source-7.x)
# VM_APT_DIST picks one for `bash apt-private.sh CMD`; the fetch scripts pick their own.
VM_APT_DISTS=(bookworm frontier)
apt_dir_of() {
  case "$1" in
    bookworm) echo "$VM_CACHE/apt" ;;
    frontier) echo "$VM_CACHE/apt-frontier" ;;
    *) die "unknown VM_APT_DIST '$1' (use ${VM_APT_DISTS[*]})" ;;
  esac
}
VM_APT_DIST="${VM_APT_DIST:-bookworm}"
VM_APT="$(apt_dir_of "$VM_APT_DIST")"

# The kernel series the VM boots, and where each comes from.
VM_KERNEL_SERIES=(6.12 6.1 7.2 7.3)
kernel_apt_dist() {
  case "$1" in
    6.1 | 6.12) echo bookworm ;;
    7.2 | 7.3) echo frontier ;;
    *) die "unknown kernel series '$1' (use ${VM_KERNEL_SERIES[*]})" ;;
  esac
}

# Bookworm's kernels by meta-package: apt resolves it to the current ABI package, so a security
# update does not break the build; the resolved name is then kept in the cache. The 7.x kernels
# have no meta-package per series (sid's linux-image-amd64 moves on to the next series):
# apt_newest_image picks the newest linux-image-7.N.*-amd64 of the frontier configuration.
kernel_meta_package() {
  case "$1" in
    6.1) echo linux-image-amd64 ;;
    6.12) echo linux-image-6.12-amd64 ;;
    *) echo "" ;;
  esac
}
