#!/usr/bin/env bash
# Packs the guest for one kernel series into $VM_CACHE/images/SERIES/initramfs.cpio.gz: busybox
# (as /init), dropbear, bpftool, the static lsm-loader, lsm-action and lsm-probe, the libraries the dynamic
# tools load, the kernel's modules, and the SSH keys. Writes manifest.json for the TypeScript manager.
source "$(dirname "$0")/lib.sh"

series="${1:?usage: build-initramfs.sh 6.1|6.12}"
kdir="$VM_CACHE/kernels/$series"
out="$VM_CACHE/images/$series"
loader="$VM_CACHE/loader/lsm-loader"
helper="$VM_CACHE/helper/lsm-action"
prober="$VM_CACHE/prober/lsm-probe"
for f in "$kdir/release" "$VM_SYSROOT/.packages" "$loader" "$helper" "$prober" "$VM_KEYS/host_ed25519" "$VM_KEYS/client_ed25519.pub"; do
  [ -e "$f" ] || die "missing $f (run vm/setup.sh)"
done

# Rebuild only when an input changed: the hash covers every file that goes into the image.
inputs_hash="$( { cat "$0" "$kdir/release" "$VM_SYSROOT/.packages" "$loader" "$helper" "$prober" "$VM_KEYS/host_ed25519" \
  "$VM_KEYS/client_ed25519.pub" "$kdir/modules/"*; find "$VM_DIR/guest" -type f | sort | xargs cat; } | sha256sum | cut -c1-16)"
if [ -f "$out/manifest.json" ] && grep -q "\"inputs\": \"$inputs_hash\"" "$out/manifest.json"; then
  log "image $series cached"; exit 0
fi

stage="$(mktemp -d "$VM_CACHE/stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin lib/modules etc/dropbear root/.ssh dev proc sys tmp run \
  sys/kernel/security sys/fs/bpf sys/kernel/tracing sys/kernel/debug var/log

cp "$VM_SYSROOT/bin/busybox" bin/busybox
# One symlink per applet, at the path busybox itself reports (bin/sh, sbin/insmod, ...).
for applet in $("$VM_SYSROOT/bin/busybox" --list-full); do
  [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
ln -s /bin/busybox init  # the kernel runs /init; busybox then acts as init(8) with etc/inittab

install -m 755 "$VM_SYSROOT/usr/sbin/dropbear" "$VM_SYSROOT/usr/sbin/bpftool" usr/sbin/
install -m 755 "$loader" usr/sbin/lsm-loader
install -m 755 "$helper" usr/sbin/lsm-action
install -m 755 "$prober" usr/sbin/lsm-probe

# Shared libraries of the dynamic tools, as the sysroot's own loader resolves them.
ld_so="$VM_SYSROOT/lib64/ld-linux-x86-64.so.2"
libpath="$VM_SYSROOT/lib/x86_64-linux-gnu:$VM_SYSROOT/usr/lib/x86_64-linux-gnu"
mkdir -p lib64 lib/x86_64-linux-gnu
cp -L "$ld_so" lib64/
for bin in usr/sbin/dropbear usr/sbin/bpftool; do
  "$ld_so" --library-path "$libpath" --list "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
    while read -r lib; do
      [ -e "$lib" ] || die "$bin needs $lib, which is not in the sysroot"
      cp -L "$lib" "lib/x86_64-linux-gnu/$(basename "$lib")"
    done
  "$ld_so" --library-path "$libpath" --list "$bin" | grep -q 'not found' && die "$bin has unresolved libraries"
done

cp "$kdir/modules/"*.ko lib/modules/ 2>/dev/null || true
cp "$kdir/modules/load-order" lib/modules/

cp -r "$VM_DIR/guest/etc/." etc/
chmod 755 etc/init.d/rcS  # whatever mode the checkout gave it
install -m 600 "$VM_KEYS/host_ed25519" etc/dropbear/host_ed25519
install -m 600 "$VM_KEYS/client_ed25519.pub" root/.ssh/authorized_keys
chmod 700 root root/.ssh
chmod 1777 tmp

# PID 1 gets its stdio from /dev/console before devtmpfs is mounted, so the node must exist. Making it
# with mknod needs root (and CAP_MKNOD, which containers often drop): instead a second archive of our
# own, holding just that node, follows the first in the same gzip stream. The kernel's initramfs
# unpacker takes concatenated archives (it skips the zero padding between them), so whoever builds,
# the image is the same.
# One newc entry without data: "070701", 13 fields of 8 hex digits (ino mode uid gid nlink mtime
# filesize devmajor devminor rdevmajor rdevminor namesize check), the NUL-terminated name, then NULs
# up to a multiple of 4 bytes.
newc_entry() { # NAME MODE RDEVMAJOR RDEVMINOR
  local namesize=$((${#1} + 1))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' 0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
  printf '%s\0' "$1"
  printf '%*s' $(((4 - (110 + namesize) % 4) % 4)) '' | tr ' ' '\0'
}
console_archive() {
  newc_entry dev/console $((0020000 | 0600)) 5 1 # S_IFCHR, crw------- root root 5,1
  newc_entry 'TRAILER!!!' 0 0 0
}

mkdir -p "$out"
# Owned by root whoever builds; --reproducible drops inode numbers and device ids.
{ find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet; console_archive; } |
  gzip -n -6 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cp "$kdir/vmlinuz" "$out/vmlinuz"

cat > "$out/manifest.json" <<JSON
{
  "series": "$series",
  "release": "$(cat "$kdir/release")",
  "package": "$(cat "$kdir/package")",
  "vmlinuz": "$out/vmlinuz",
  "initrd": "$out/initramfs.cpio.gz",
  "hostKeyPub": "$VM_KEYS/host_ed25519.pub",
  "clientKey": "$VM_KEYS/client_ed25519",
  "inputs": "$inputs_hash"
}
JSON
log "image $series built: $(du -h "$out/initramfs.cpio.gz" | cut -f1) initramfs, kernel $(cat "$kdir/release")"
