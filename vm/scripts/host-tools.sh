#!/usr/bin/env bash
# Installs the host tools the VM needs (emulator, BPF compiler, static libbpf, ssh) when missing, on
# an apt-based host (Debian, Ubuntu); elsewhere it says what to install. Only host packages: the
# guest's kernel and userland come from Debian's archive through apt-private.sh, into the cache.
source "$(dirname "$0")/apt-private.sh"

need=() # Debian/Ubuntu packages to install
lack=() # what is missing, in words
offpath=() # installed, but in a folder that is not on PATH (Debian leaves /usr/sbin out for users)
missing() { lack+=("$1"); shift; need+=("$@"); }
have_cmd() {
  command -v "$1" >/dev/null 2>&1 && return
  local d
  for d in /usr/local/sbin /usr/sbin /sbin; do [ -x "$d/$1" ] && { offpath+=("$d/$1"); return; }; done
  return 1
}
have_file() { [ -e "$1" ]; }
# Ubuntu's /usr/sbin/bpftool (linux-tools-common) may be a wrapper that only finds a real bpftool
# in the running kernel's linux-tools package: run it.
bpftool_runs() { bpftool version >/dev/null 2>&1; }
# The packages with a bpftool, as the host's lists know them: bpftool on Debian and newer Ubuntu,
# the running kernel's linux-tools on older Ubuntu; nothing when neither is known.
bpftool_packages() {
  if apt-cache show bpftool 2>/dev/null | grep -x 'Package: bpftool' >/dev/null; then
    echo bpftool
  elif apt-cache show "linux-tools-$(uname -r)" >/dev/null 2>&1; then
    echo linux-tools-common "linux-tools-$(uname -r)"
  fi
}

have_cmd qemu-system-x86_64 || missing qemu-system-x86_64 qemu-system-x86
have_cmd clang || missing clang clang
have_cmd ssh || missing ssh openssh-client
have_cmd ssh-keygen || missing ssh-keygen openssh-client
have_cmd cpio || missing cpio cpio
have_cmd xz || missing xz xz-utils
have_cmd depmod || missing depmod kmod
# libbpf's headers, which BPF programs include.
have_file /usr/include/bpf/bpf_helpers.h || missing bpf/bpf_helpers.h libbpf-dev
# The static lsm-loader and lsm-action run in the guest without shared libraries. An installed package
# ships them prebuilt (the build scripts decide whether that binary is used): only otherwise are they
# compiled here, with gcc and static archives.
here="$(dirname "$0")"
loader_prebuilt=0 helper_prebuilt=0
bash "$here/build-loader.sh" --prebuilt && loader_prebuilt=1
bash "$here/build-helper.sh" --prebuilt && helper_prebuilt=1
if [ "$loader_prebuilt$helper_prebuilt" != 11 ]; then
  have_cmd gcc || missing gcc gcc libc6-dev
  have_file /usr/lib/x86_64-linux-gnu/libc.a || missing libc.a libc6-dev
fi
if [ "$loader_prebuilt" = 0 ]; then
  have_file /usr/lib/x86_64-linux-gnu/libbpf.a || missing libbpf.a libbpf-dev
  have_file /usr/lib/x86_64-linux-gnu/libelf.a || missing libelf.a libelf-dev
  have_file /usr/lib/x86_64-linux-gnu/libz.a || missing libz.a zlib1g-dev
  have_file /usr/lib/x86_64-linux-gnu/libzstd.a || missing libzstd.a libzstd-dev
fi
# The guest's packages: apt and dpkg with a private configuration, and Debian's archive key.
have_cmd dpkg || missing dpkg dpkg
have_cmd apt-get || missing apt-get apt
debian_keyring >/dev/null || missing /usr/share/keyrings/debian-archive-keyring.gpg debian-archive-keyring
# A bpftool that cannot be installed from the lists at hand is only warned about below, so that it
# alone does not update the host's lists on every run.
# (have_cmd notes one that is installed off PATH.)
if ! bpftool_runs && { command -v bpftool >/dev/null 2>&1 || ! have_cmd bpftool; }; then
  bpftool_pkgs="$(have_cmd apt-cache && bpftool_packages || true)"
  if [ -n "$bpftool_pkgs" ] || ! have_cmd apt-get; then missing bpftool $bpftool_pkgs; fi
fi

if [ "${#offpath[@]}" -gt 0 ]; then
  die "installed but not on PATH: ${offpath[*]}; add their folders to PATH (export PATH=\"\$PATH:/usr/local/sbin:/usr/sbin:/sbin\") and try again${lack:+ (missing too: ${lack[*]})}"
fi
if [ "${#lack[@]}" -gt 0 ] && ! have_cmd apt-get; then
  die "missing on this host: ${lack[*]}. Install them with the system's package manager: QEMU, clang,
  bpftool, gcc with static libbpf/libelf/zlib/libzstd, OpenSSH, cpio, xz, kmod, and apt + dpkg +
  Debian's archive keyring (debian-archive-keyring), with which the guest's packages are fetched
  from Debian's archive into the cache (the host's own package manager is not used for them)"
fi
if [ "${#lack[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing on this host: ${lack[*]}; run as root, or install them: sudo apt-get install $(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')"
  fi
  log "apt-get update (the host's package lists, to install host tools)"
  apt-get update -q >&2 || die "apt-get update failed"
  # The fresh lists may know a bpftool package the old ones did not.
  bpftool_runs || need+=($(bpftool_packages))
  mapfile -t need < <(printf '%s\n' "${need[@]}" | grep . | sort -u)
  if [ "${#need[@]}" -gt 0 ]; then
    log "installing host packages: ${need[*]}"
    apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || die "apt-get install failed"
  fi
fi
bpftool_runs || log "warning: bpftool does not run on this host; it is needed to build programs for the VM (on Ubuntu: linux-tools-\$(uname -r))"
log "host tools ready"
