#!/usr/bin/env bash
# Creates the VM's SSH keys once: a dropbear host key (baked into every image, so the client can
# verify the guest) and an ed25519 client key for root. Local test keys, kept in the cache only.
source "$(dirname "$0")/lib.sh"

mkdir -p "$VM_KEYS"; chmod 700 "$VM_KEYS"
# The unpacked dropbearkey runs on the host with the sysroot's own loader and libraries.
dropbearkey() {
  "$VM_SYSROOT/lib64/ld-linux-x86-64.so.2" \
    --library-path "$VM_SYSROOT/lib/x86_64-linux-gnu:$VM_SYSROOT/usr/lib/x86_64-linux-gnu" \
    "$VM_SYSROOT/usr/bin/dropbearkey" "$@"
}

if [ ! -f "$VM_KEYS/host_ed25519.pub" ]; then
  rm -f "$VM_KEYS/host_ed25519"
  dropbearkey -t ed25519 -f "$VM_KEYS/host_ed25519" >/dev/null 2>&1
  # "-y" prints the public half among other lines; keep only the key line, without its comment.
  dropbearkey -y -f "$VM_KEYS/host_ed25519" | awk '$1 == "ssh-ed25519" {print $1, $2}' > "$VM_KEYS/host_ed25519.pub.tmp"
  [ -s "$VM_KEYS/host_ed25519.pub.tmp" ] || die "dropbearkey gave no public key"
  mv "$VM_KEYS/host_ed25519.pub.tmp" "$VM_KEYS/host_ed25519.pub"
  log "host key: $(cat "$VM_KEYS/host_ed25519.pub")"
fi
if [ ! -f "$VM_KEYS/client_ed25519.pub" ]; then
  rm -f "$VM_KEYS/client_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C bpf-lsm-studio-vm -f "$VM_KEYS/client_ed25519"
  log "client key created"
fi
