#!/usr/bin/env bash
# Unpacks the guest userland (busybox, dropbear, bpftool) and the shared libraries they need
# into $VM_SYSROOT with dpkg -x, so the image does not depend on what the host has installed. The
# packages come from Debian 12's archive through the private apt configuration (apt-private.sh).
source "$(dirname "$0")/apt-private.sh"
# Always bookworm's, whatever VM_APT_DIST says: sid's newer libraries never reach the guest.
apt_private_use bookworm

TOOLS=(busybox-static dropbear-bin bpftool)
stamp="$VM_SYSROOT/.packages"
[ -f "$stamp" ] && { log "userland cached ($(wc -l < "$stamp") packages)"; exit 0; }

# The tools' library packages, followed through their Depends (libc6 -> libgcc-s1 ...);
# non-library dependencies (debconf, base files) are not needed in an initramfs.
# One apt-cache call per level of the dependency tree (each call parses the lists, ~1 s).
apt_private_lists
declare -A seen=()
level=("${TOOLS[@]}")
while [ "${#level[@]}" -gt 0 ]; do
  for pkg in "${level[@]}"; do seen[$pkg]=1; done
  next=()
  while read -r dep; do
    case "$dep" in lib*|zlib1g) [ -z "${seen[$dep]:-}" ] && next+=("$dep") ;; esac
  done < <(apt_private apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
             --no-replaces --no-enhances "${level[@]}" \
             | awk '$1 == "Depends:" || $1 == "PreDepends:" {print $2}' | grep -v '^<' | sort -u)
  level=("${next[@]}")
done

rm -rf "$VM_SYSROOT.tmp"; mkdir -p "$VM_SYSROOT.tmp"
# Not mapfile < <(...): a failed download must stop the script.
debs_text="$(apt_fetch $(printf '%s\n' "${!seen[@]}" | sort))"
mapfile -t debs <<< "$debs_text"
for deb in "${debs[@]}"; do
  dpkg -x "$deb" "$VM_SYSROOT.tmp"
  basename "$deb" >> "$VM_SYSROOT.tmp/.packages"
done
rm -rf "$VM_SYSROOT"; mv "$VM_SYSROOT.tmp" "$VM_SYSROOT"
log "userland unpacked: $(tr '\n' ' ' < "$stamp")"
