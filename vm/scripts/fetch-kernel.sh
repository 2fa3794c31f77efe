#!/usr/bin/env bash
# Unpacks a Debian kernel (6.1 or 6.12) into $VM_CACHE/kernels/SERIES: vmlinuz, config, and the
# few modules the guest needs, in load order. The .deb comes from Debian's archive through the
# private apt configuration (apt-private.sh) and is unpacked in the cache, never installed.
source "$(dirname "$0")/apt-private.sh"

series="${1:?usage: fetch-kernel.sh 6.1|6.12}"
meta="$(kernel_meta_package "$series")"
out="$VM_CACHE/kernels/$series"
# e1000 is QEMU's default NIC and a module in both Debian kernels; it has no dependencies,
# but they are followed anyway through modules.dep.
MODULES=(e1000)

[ -f "$out/release" ] && { log "kernel $series cached ($(cat "$out/release"))"; exit 0; }

apt_private_lists
pkg="$(apt_depends_image "$meta")"
if [ -z "$pkg" ] && [ "${VM_APT_UPDATED:-}" != 1 ]; then apt_private_update; pkg="$(apt_depends_image "$meta")"; fi
[ -n "$pkg" ] || die "cannot resolve $meta to a kernel package"
deb="$(apt_fetch "$pkg")"

tmp="$out.tmp"; rm -rf "$tmp" "$out"; mkdir -p "$tmp/unpacked" "$tmp/modules"
log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$tmp/unpacked"
release="$(basename "$(ls -d "$tmp/unpacked/lib/modules/"*)")"
cp "$tmp/unpacked/boot/vmlinuz-$release" "$tmp/vmlinuz"
cp "$tmp/unpacked/boot/config-$release" "$tmp/config"
grep -qx 'CONFIG_BPF_LSM=y' "$tmp/config" || die "$pkg lacks CONFIG_BPF_LSM"
grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "$tmp/config" || die "$pkg lacks BTF"

# Resolve dependencies from modules.dep ("path: dep1 dep2"), dependencies first. The package
# does not ship modules.dep (its postinst runs depmod), so build it in the unpacked tree.
moddir="$tmp/unpacked/lib/modules/$release"
depmod -b "$tmp/unpacked" "$release"
declare -A added=()
add_module() { # path relative to moddir
  local path="$1" deps
  [ -n "${added[$path]:-}" ] && return
  added[$path]=1
  deps="$(awk -v p="$path:" '$1 == p { $1 = ""; print }' "$moddir/modules.dep")"
  for d in $deps; do add_module "$d"; done
  local name; name="$(basename "$path")"; name="${name%%.ko*}"
  case "$path" in
    *.ko.xz) xz -dc "$moddir/$path" > "$tmp/modules/$name.ko" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" > "$tmp/modules/$name.ko" ;;
    *.ko) cp "$moddir/$path" "$tmp/modules/$name.ko" ;;
  esac
  echo "$name" >> "$tmp/modules/load-order"
}
touch "$tmp/modules/load-order"
for m in "${MODULES[@]}"; do
  path="$(awk -F: -v m="$m" '{ n = $1; sub(".*/", "", n); sub("[.]ko.*", "", n); gsub("-", "_", n) } n == m { print $1; exit }' "$moddir/modules.dep")"
  if [ -z "$path" ]; then
    grep -q "/$m.ko" "$moddir/modules.builtin" && continue  # built in: nothing to load
    die "module $m not found in $release"
  fi
  add_module "$path"
done

rm -rf "$tmp/unpacked"
echo "$pkg" > "$tmp/package"
echo "$release" > "$tmp/release"
mv "$tmp" "$out"
log "kernel $series ready: $release (modules: $(tr '\n' ' ' < "$out/modules/load-order"))"
