# Shared settings for the VM build scripts: where the cache lives and how packages are fetched.
# Sourced, not run. Everything built lands under $VM_CACHE (git-ignored); nothing touches /boot.
set -euo pipefail

VM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_DIR="$VM_REPO_ROOT/vm"
VM_CACHE="${BPF_LSM_VM_CACHE:-$VM_REPO_ROOT/.cache/vm}"
VM_APT="$VM_CACHE/apt"          # downloaded .deb files
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

# apt-get update at most once per setup run (a fresh machine may have no package lists).
apt_update_once() {
  if [ "${VM_APT_UPDATED:-}" != 1 ]; then
    log "apt-get update"
    apt-get update -q >&2 || die "apt-get update failed"
    export VM_APT_UPDATED=1
  fi
}

# "pkg version" lines for what apt would install now, one apt-cache call for all (each call
# parses the package lists, ~1 s). Refreshes the lists once if a package is unknown.
apt_candidates() {
  local out
  _policy() { apt-cache policy "$@" 2>/dev/null | awk '/^[^ ]/ {sub(":$", "", $1); p=$1} /Candidate:/ && $2 != "(none)" {print p, $2}'; }
  out="$(_policy "$@")"
  if [ "$(printf '%s\n' "$out" | grep -c .)" -lt "$#" ]; then
    apt_update_once
    out="$(_policy "$@")"
  fi
  for pkg in "$@"; do
    printf '%s\n' "$out" | grep -q "^$pkg " || die "package $pkg is not available from apt"
  done
  printf '%s\n' "$out"
}

# apt-get download into the cache, once per package version; prints the .deb paths in the
# order given. APT::Sandbox::User=root: the _apt user may not write into the cache.
apt_fetch() {
  local pkg ver file missing=() lines
  mkdir -p "$VM_APT"
  lines="$(apt_candidates "$@")"
  # apt names files pkg_version_arch.deb with ':' in the version written as %3a.
  _deb() { ls "$VM_APT/${1}_${2//:/%3a}_"*.deb 2>/dev/null | head -n1 || true; }
  while read -r pkg ver; do
    [ -n "$(_deb "$pkg" "$ver")" ] || missing+=("$pkg=$ver")
  done <<< "$lines"
  if [ "${#missing[@]}" -gt 0 ]; then
    log "downloading ${missing[*]}"
    if ! (cd "$VM_APT" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >&2); then
      # Stale lists name versions the mirror has dropped (security updates): refresh, resolve again.
      [ "${VM_APT_UPDATED:-}" != 1 ] || die "apt-get download failed"
      apt_update_once
      apt_fetch "$@"
      return
    fi
  fi
  for pkg in "$@"; do
    ver="$(printf '%s\n' "$lines" | awk -v p="$pkg" '$1 == p {print $2}')"
    file="$(_deb "$pkg" "$ver")"
    [ -n "$file" ] || die "download of $pkg $ver left no .deb"
    echo "$file"
  done
}
