#!/usr/bin/env bash
# Unpacks a Debian kernel into $VM_CACHE/kernels/SERIES: vmlinuz, config, and the few modules the
# guest needs, in load order; `package` and `version` say exactly which Debian package it is. The
# .debs come from Debian's archive through a private apt configuration (apt-private.sh) and are
# unpacked in the cache, never installed:
#   6.1, 6.12   bookworm (-security): the current package of a meta-package, one .deb
#   7.2, 7.3    frontier (sid, trixie-backports): the newest linux-image-7.N.*-amd64 of any suite,
#               which is split: vmlinuz in linux-binary-ABI, config in linux-base-ABI, the
#               modules in linux-modules-ABI (all under /usr/lib/modules/ABI)
# A series is fetched once; delete its folder to take the archive's newest again.
source "$(dirname "$0")/apt-private.sh"

series="${1:?usage: fetch-kernel.sh $(IFS='|'; echo "${VM_KERNEL_SERIES[*]}")}"
dist="$(kernel_apt_dist "$series")"
apt_private_use "$dist"
out="$VM_CACHE/kernels/$series"
# e1000 is QEMU's default NIC and a module in every Debian kernel; it has no dependencies,
# but they are followed anyway through modules.dep.
MODULES=(e1000)

# The Debian version a kernel image was built as: its banner, in the bzImage's uncompressed setup
# header ("... #1 SMP PREEMPT_DYNAMIC Debian 7.3.4-1~bpo13+1 (2026-11-20)").
banner_version() {
  { head -c 65536 "$1" | LC_ALL=C grep -aoE -m1 ' Debian [0-9][^ ]* \(' || true; } | awk '{print $2}'
}

if [ -f "$out/release" ]; then
  # Fetched before versions were recorded: the kernel itself says which build it is.
  if [ ! -s "$out/version" ]; then
    v="$(banner_version "$out/vmlinuz")"
    [ -n "$v" ] && echo "$v" > "$out/version"
  fi
  log "kernel $series cached ($(cat "$out/release"), $(cat "$out/package") $(cat "$out/version" 2>/dev/null || echo '(version unknown)'))"
  exit 0
fi

apt_private_lists
meta="$(kernel_meta_package "$series")"
resolve() {
  if [ -n "$meta" ]; then apt_depends_image "$meta"; else apt_newest_image "$series" | cut -d' ' -f1; fi
}
pkg="$(resolve)"
if [ -z "$pkg" ] && [ "${VM_APT_UPDATED:-}" != 1 ]; then apt_private_update; pkg="$(resolve)"; fi
[ -n "$pkg" ] || die "no Linux $series kernel in the $VM_APT_DIST configuration (${meta:-linux-image-$series.*-amd64}; lists in $VM_APT/state/lists)"
mapfile -t parts < <(apt_image_parts "$pkg")
debs_text="$(apt_fetch "$pkg" "${parts[@]}")"
mapfile -t debs <<< "$debs_text"
version="$(dpkg-deb -f "${debs[0]}" Version)"

tmp="$out.tmp"; rm -rf "$tmp" "$out"; mkdir -p "$tmp/unpacked" "$tmp/modules"
for deb in "${debs[@]}"; do
  # The split packages are one build: each must be the image package's version.
  [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || die "$(basename "$deb") is not version $version of $pkg"
  log "unpacking $(basename "$deb")"
  dpkg -x "$deb" "$tmp/unpacked"
done
# Bookworm's packages install into /lib/modules and /boot, trixie's and sid's into /usr/lib/modules
# only; depmod -b looks in one of the two, whichever its kmod was built for.
u="$tmp/unpacked"
if [ -d "$u/usr/lib/modules" ] && [ ! -e "$u/lib" ]; then ln -s usr/lib "$u/lib"; fi
if [ -d "$u/lib/modules" ] && [ ! -e "$u/usr/lib/modules" ]; then mkdir -p "$u/usr/lib" && ln -s ../../lib/modules "$u/usr/lib/modules"; fi
releases=("$u"/lib/modules/*)
[ "${#releases[@]}" -eq 1 ] && [ -d "${releases[0]}" ] || die "expected one kernel release in $pkg's /lib/modules, found: ${releases[*]##*/}"
release="$(basename "${releases[0]}")"
moddir="$u/lib/modules/$release"
first() { local f; for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; die "$pkg has none of: ${*#"$u"}"; }
vmlinuz="$(first "$u/boot/vmlinuz-$release" "$moddir/vmlinuz")"
config="$(first "$u/boot/config-$release" "$moddir/config")"
cp "$vmlinuz" "$tmp/vmlinuz"
cp "$config" "$tmp/config"
grep -qx 'CONFIG_BPF_LSM=y' "$tmp/config" || die "$pkg lacks CONFIG_BPF_LSM"
grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "$tmp/config" || die "$pkg lacks BTF"
built="$(banner_version "$tmp/vmlinuz")"
[ -z "$built" ] || [ "$built" = "$version" ] || die "$pkg $version holds a kernel built as Debian $built"

# Resolve dependencies from modules.dep ("path: dep1 dep2"), dependencies first. The packages
# do not ship modules.dep (their postinst runs depmod), so build it in the unpacked tree.
depmod -b "$u" "$release"
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
    *.ko.gz) gzip -dc "$moddir/$path" > "$tmp/modules/$name.ko" ;;
    *.ko) cp "$moddir/$path" "$tmp/modules/$name.ko" ;;
    *) die "module $path: unknown compression" ;;
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

rm -rf "$u"
echo "$pkg" > "$tmp/package"
echo "$version" > "$tmp/version"
echo "$release" > "$tmp/release"
mv "$tmp" "$out"
log "kernel $series ready: $release from $pkg $version (modules: $(tr '\n' ' ' < "$out/modules/load-order"))"
