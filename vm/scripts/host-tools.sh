#!/usr/bin/env bash
# Installs the host tools the VM needs (emulator, BPF compiler, static libbpf, ssh) when missing.
# Only host packages: the guest's kernel and userland are unpacked into the cache instead.
source "$(dirname "$0")/lib.sh"

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_file() { [ -e "$1" ]; }

have_cmd qemu-system-x86_64 || need+=(qemu-system-x86)
have_cmd clang || need+=(clang)
have_cmd bpftool || need+=(bpftool)
have_cmd gcc || need+=(gcc libc6-dev)
have_cmd ssh || need+=(openssh-client)
have_cmd ssh-keygen || need+=(openssh-client)
have_cmd cpio || need+=(cpio)
have_cmd xz || need+=(xz-utils)
have_cmd depmod || need+=(kmod)
have_cmd apt-get || die "apt-get is required (Debian host)"
# Static archives for the loader, which must run in the guest without shared libraries.
have_file /usr/include/bpf/libbpf.h || need+=(libbpf-dev)
have_file /usr/lib/x86_64-linux-gnu/libbpf.a || need+=(libbpf-dev)
have_file /usr/lib/x86_64-linux-gnu/libelf.a || need+=(libelf-dev)
have_file /usr/lib/x86_64-linux-gnu/libz.a || need+=(zlib1g-dev)
have_file /usr/lib/x86_64-linux-gnu/libzstd.a || need+=(libzstd-dev)

if [ "${#need[@]}" -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || die "missing host packages (${need[*]}); run as root or install them"
  apt_update_once
  log "installing host packages: ${need[*]}"
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || die "apt-get install failed"
fi
log "host tools ready"
