#!/usr/bin/env bash
# apt with a configuration of its own, for fetching the guest's Debian 12 (bookworm) packages on any
# host that has apt-get and dpkg (Debian, Ubuntu, ...). Its sources, keyring, package lists, caches
# and downloads all live under $VM_CACHE/apt. The host's sources, apt.conf.d, pinning, keys, lists
# and dpkg status are not used, and nothing is written outside the cache: the host's own apt is
# not affected, and no root is needed. A proxy: http_proxy in the environment, as for any apt.
#   source apt-private.sh        the functions below, for the fetch scripts
#   bash apt-private.sh CMD...   one apt command with the private configuration, e.g.
#                                bash vm/scripts/apt-private.sh apt-cache policy linux-image-6.12-amd64
# Layout under $VM_APT: apt.conf (APT_CONFIG), etc/ (sources, empty conf/pinning/key dirs),
# state/ (lists, an empty dpkg status), cache/, debs/ (the downloaded .deb files).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VM_DEBS="$VM_APT/debs"
# Lists older than this are refreshed before something is downloaded. The archive keeps a
# superseded .deb for about a day and a half, so lists younger than a day still resolve to files
# that exist; a download that fails all the same refreshes the lists once and resolves again.
VM_APT_MAX_AGE=86400

# Debian's archive keys: debian-archive-keyring, on Debian and on Ubuntu alike (.pgp in newer ones).
debian_keyring() {
  local k
  for k in /usr/share/keyrings/debian-archive-keyring.gpg /usr/share/keyrings/debian-archive-keyring.pgp; do
    [ -f "$k" ] && { echo "$k"; return; }
  done
  return 1
}

# Writes the private configuration (cheap, so on every use: a change of this script applies at
# once). Every path apt would take from the host is set to one under $VM_APT.
apt_private_config() {
  [ -n "${VM_APT_CONFIGURED:-}" ] && return
  local tool keyring
  for tool in apt-get apt-cache dpkg; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool is needed to fetch the guest's Debian packages (apt and dpkg; they need not manage this host)"
  done
  keyring="$(debian_keyring)" ||
    die "Debian's archive keyring is missing (/usr/share/keyrings/debian-archive-keyring.gpg): install the package debian-archive-keyring"
  case "$VM_APT" in *'"'* | *$'\n'*) die "the VM cache path may not contain '\"' or a newline: $VM_APT" ;; esac
  mkdir -p "$VM_APT"/etc/{apt.conf.d,sources.list.d,preferences.d,trusted.gpg.d} \
    "$VM_APT"/state/lists/partial "$VM_APT"/cache/archives/partial "$VM_APT"/log "$VM_DEBS"
  [ -f "$VM_APT/state/status" ] || : > "$VM_APT/state/status"
  # Where the packages come from (checked with apt-cache policy): busybox, dropbear, bpftool and
  # their libraries from bookworm and its point-release updates; the 6.12 kernel
  # (linux-image-6.12-amd64, Debian's LTS kernel for bookworm) and the newest 6.1 only from
  # bookworm-security. bookworm-backports is not needed.
  cat > "$VM_APT/etc/sources.list.d/debian.sources.tmp" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: $keyring
SOURCES
  mv "$VM_APT/etc/sources.list.d/debian.sources.tmp" "$VM_APT/etc/sources.list.d/debian.sources"
  # APT_CONFIG is read before anything else, and Dir::Etc moves the rest: apt.conf.d and apt.conf
  # (absent) are read from etc/, not from the host. An empty dpkg status: what the host has
  # installed (Ubuntu's newer libc6, say) must not become a candidate. No Translation files.
  # As root, apt downloads as the _apt user, who may not write into the cache: Sandbox::User root.
  cat > "$VM_APT/apt.conf.tmp" <<CONF
Dir::Etc "$VM_APT/etc/";
Dir::Etc::main "apt.conf";
Dir::Etc::parts "apt.conf.d/";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d/";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d/";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d/";
Dir::State "$VM_APT/state/";
Dir::State::lists "lists/";
Dir::State::status "$VM_APT/state/status";
Dir::Cache "$VM_APT/cache/";
Dir::Cache::archives "archives/";
Dir::Log "$VM_APT/log/";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::Retries "3";
CONF
  mv "$VM_APT/apt.conf.tmp" "$VM_APT/apt.conf"
  VM_APT_CONFIGURED=1
}

# Runs apt-get or apt-cache with the private configuration.
apt_private() {
  apt_private_config
  APT_CONFIG="$VM_APT/apt.conf" "$@"
}

# What the lists were last updated from: a change of sources or keyring needs an update.
_apt_config_id() { cat "$VM_APT/apt.conf" "$VM_APT/etc/sources.list.d/debian.sources" | sha256sum | cut -c1-16; }

# apt-get update, at most once per setup run.
apt_private_update() {
  apt_private_config
  [ "${VM_APT_UPDATED:-}" = 1 ] && return
  log "apt-get update (private lists in $VM_APT/state/lists)"
  apt_private apt-get update -q >&2 ||
    die "apt-get update of Debian's archive failed (config $VM_APT/apt.conf; NO_PUBKEY means the debian-archive-keyring package is too old for bookworm's keys)"
  _apt_config_id > "$VM_APT/state/updated"
  VM_APT_UPDATED=1
}

# Updates the lists when there are none, the sources changed, or they are older than
# VM_APT_MAX_AGE; otherwise nothing (no network). Called before resolving anything to download.
apt_private_lists() {
  apt_private_config
  local stamp="$VM_APT/state/updated"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(_apt_config_id)" ] ||
    [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -gt "$VM_APT_MAX_AGE" ]; then
    apt_private_update
  fi
}

# The linux-image-ABI package a kernel meta-package depends on now.
apt_depends_image() {
  { apt_private apt-cache depends "$1" 2>/dev/null || true; } | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}'
}

# "pkg version" lines for what apt would download now, one apt-cache call for all. Refreshes the
# lists once if a package is unknown.
apt_candidates() {
  local out pkg
  _policy() { { apt_private apt-cache policy "$@" 2>/dev/null || true; } | awk '/^[^ ]/ {sub(":$", "", $1); p=$1} /Candidate:/ && $2 != "(none)" {print p, $2}'; }
  out="$(_policy "$@")"
  if [ "$(printf '%s\n' "$out" | grep -c .)" -lt "$#" ] && [ "${VM_APT_UPDATED:-}" != 1 ]; then
    apt_private_update
    out="$(_policy "$@")"
  fi
  for pkg in "$@"; do
    printf '%s\n' "$out" | grep -q "^$pkg " || die "package $pkg is not in Debian bookworm (private lists in $VM_APT/state/lists)"
  done
  printf '%s\n' "$out"
}

# apt-get download into $VM_DEBS, once per package version; prints the .deb paths in the order
# given. A download that fails (lists older than the mirror) refreshes the lists and tries again.
apt_fetch() {
  local pkg ver file missing=() lines
  apt_private_lists
  lines="$(apt_candidates "$@")"
  # apt names files pkg_version_arch.deb with ':' in the version written as %3a.
  _deb() { ls "$VM_DEBS/${1}_${2//:/%3a}_"*.deb 2>/dev/null | head -n1 || true; }
  while read -r pkg ver; do
    [ -n "$(_deb "$pkg" "$ver")" ] || missing+=("$pkg=$ver")
  done <<< "$lines"
  if [ "${#missing[@]}" -gt 0 ]; then
    log "downloading ${missing[*]}"
    if ! (cd "$VM_DEBS" && apt_private apt-get download -q "${missing[@]}" >&2); then
      [ "${VM_APT_UPDATED:-}" != 1 ] || die "apt-get download failed"
      apt_private_update
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

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -gt 0 ] || die "usage: apt-private.sh apt-get|apt-cache ARGS..."
  apt_private "$@"
fi
