#!/usr/bin/env bash
# apt with a configuration of its own, for fetching the guest's Debian packages on any host that has
# apt-get and dpkg (Debian, Ubuntu, ...). Two configurations, each with its sources, keyring, package
# lists, caches and downloads in its own folder (lib.sh):
#   bookworm (default)   $VM_CACHE/apt           bookworm, bookworm-updates, bookworm-security: the
#                                                guest userland and the 6.1 and 6.12 kernels
#   frontier             $VM_CACHE/apt-frontier  sid, trixie, trixie-backports: the 7.2 and 7.3
#                                                kernels (and linux-source-7.x), never the userland
# The host's sources, apt.conf.d, pinning, keys, lists and dpkg status are not used, and nothing is
# written outside the cache: the host's own apt is not affected, and no root is needed. A proxy:
# http_proxy in the environment, as for any apt.
#   source apt-private.sh        the functions below, for the fetch scripts (apt_private_use DIST
#                                switches configuration)
#   [VM_APT_DIST=frontier] bash apt-private.sh CMD...
#                                one apt command with the private configuration, the lists
#                                updated first if they are missing, stale or from other sources;
#                                apt-get download writes into the current directory. E.g.
#                                bash vm/scripts/apt-private.sh apt-cache policy linux-image-6.12-amd64
#                                VM_APT_DIST=frontier bash vm/scripts/apt-private.sh apt-get download linux-source-7.3
#   [VM_APT_DIST=frontier] bash apt-private.sh update
#                                apt-get update now, whatever the lists' age
#   [VM_APT_DIST=frontier] bash apt-private.sh fetch PKG...
#                                the candidates of PKG... downloaded once into the configuration's
#                                debs/ (kept across runs), their paths printed one a line
# Layout under $VM_APT: apt.conf (APT_CONFIG), etc/ (sources, pinning, empty conf/key dirs),
# state/ (lists, an empty dpkg status), cache/, debs/ (the downloaded .deb files).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VM_DEBS="$VM_APT/debs"
# Lists older than this are refreshed before something is downloaded. The archive keeps a
# superseded .deb for about a day and a half, so lists younger than a day still resolve to files
# that exist; a download that fails all the same refreshes the lists once and resolves again.
VM_APT_MAX_AGE=86400
# How old a signed sid Release may be (see _apt_sources).
VM_APT_SID_VALID_DAYS=90

# Switches to another private configuration (bookworm or frontier) for what follows.
apt_private_use() {
  [ "$1" = "$VM_APT_DIST" ] && return
  VM_APT_DIST="$1"
  VM_APT="$(apt_dir_of "$1")"
  VM_DEBS="$VM_APT/debs"
  VM_APT_CONFIGURED=
  VM_APT_UPDATED=
}

# The suites of each configuration (checked with apt-cache policy).
_apt_sources() { # KEYRING
  case "$VM_APT_DIST" in
    bookworm)
      # Busybox, dropbear, bpftool and their libraries from bookworm and its point-release updates;
      # the 6.12 kernel (linux-image-6.12-amd64, Debian's LTS kernel for bookworm) and the newest 6.1
      # only from bookworm-security. bookworm-backports is not needed.
      cat <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: $1

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: $1
SOURCES
      ;;
    frontier)
      # Debian's newest kernels: sid (unstable) and trixie-backports; trixie for what those depend on.
      # sid's Release says it is valid for a week (the archive re-signs it every few hours), but a
      # mirror may lag behind by weeks: its signed Release is accepted for up to
      # VM_APT_SID_VALID_DAYS days after its Date (it must still be signed by the archive keyring).
      cat <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: $1
Valid-Until-Min: $((VM_APT_SID_VALID_DAYS * 86400))

Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-backports
Components: main
Signed-By: $1
SOURCES
      ;;
  esac
}

# Pinning: none for bookworm. In frontier, backports (NotAutomatic, priority 100 otherwise) count as
# much as sid and trixie, so that a candidate is the newest version in any of the three suites.
_apt_preferences() {
  case "$VM_APT_DIST" in
    frontier)
      cat <<PREFS
Package: *
Pin: release n=trixie-backports
Pin-Priority: 500
PREFS
      ;;
  esac
}

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
  _apt_sources "$keyring" > "$VM_APT/etc/sources.list.d/debian.sources.tmp"
  mv "$VM_APT/etc/sources.list.d/debian.sources.tmp" "$VM_APT/etc/sources.list.d/debian.sources"
  _apt_preferences > "$VM_APT/etc/preferences.d/pin.tmp"
  if [ -s "$VM_APT/etc/preferences.d/pin.tmp" ]; then
    mv "$VM_APT/etc/preferences.d/pin.tmp" "$VM_APT/etc/preferences.d/pin.pref"
  else
    rm -f "$VM_APT/etc/preferences.d/pin.tmp" "$VM_APT/etc/preferences.d/pin.pref"
  fi
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
  # One update at a time per configuration (apt itself would fail on the lists' lock, not wait).
  { flock 8 && apt_private apt-get update -q >&2; } 8> "$VM_APT/state/update.lock" ||
    die "apt-get update of Debian's archive failed (config $VM_APT/apt.conf; NO_PUBKEY means the debian-archive-keyring package is too old for $VM_APT_DIST's keys)"
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

# The packages a split linux-image-ABI depends on, of its own ABI: linux-binary-ABI (vmlinuz),
# linux-base-ABI (config, System.map, modules.builtin) and linux-modules-ABI, as in sid's and
# trixie-backports' 7.x kernels. Nothing for the one-package kernels (bookworm's 6.1 and 6.12).
apt_image_parts() {
  local abi="${1#linux-image-}"
  { apt_private apt-cache depends "$1" 2>/dev/null || true; } |
    awk -v abi="$abi" '$1 == "Depends:" && ($2 == "linux-binary-" abi || $2 == "linux-base-" abi || $2 == "linux-modules-" abi) {print $2}' |
    sort -u
}

# "pkg version" lines of the packages' candidates (those without one left out).
_apt_policy() { { apt_private apt-cache policy "$@" 2>/dev/null || true; } | awk '/^[^ ]/ {sub(":$", "", $1); p=$1} /Candidate:/ && $2 != "(none)" {print p, $2}'; }

# "pkg version" of the newest kernel of a series (e.g. 7.2) in the current configuration: the
# generic amd64 flavour, linux-image-7.2.N+debNN-amd64 (not cloud, rt or dbg), whatever suite has
# it. Nothing when the series has none.
apt_newest_image() {
  local re="^linux-image-${1//./\\.}\\.[0-9]+(\\+[a-z0-9.~]+)?-amd64\$" names best='' best_ver='' pkg ver
  names="$({ apt_private apt-cache pkgnames "linux-image-$1." 2>/dev/null || true; } | grep -E "$re" || true)"
  [ -n "$names" ] || return 0
  while read -r pkg ver; do
    if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then best="$pkg" best_ver="$ver"; fi
  done < <(_apt_policy $names)
  [ -z "$best" ] || echo "$best $best_ver"
}

# "pkg version" lines for what apt would download now, one apt-cache call for all. Refreshes the
# lists once if a package is unknown.
apt_candidates() {
  local out pkg
  out="$(_apt_policy "$@")"
  if [ "$(printf '%s\n' "$out" | grep -c .)" -lt "$#" ] && [ "${VM_APT_UPDATED:-}" != 1 ]; then
    apt_private_update
    out="$(_apt_policy "$@")"
  fi
  for pkg in "$@"; do
    printf '%s\n' "$out" | grep -q "^$pkg " || die "package $pkg is not in the $VM_APT_DIST configuration's suites (private lists in $VM_APT/state/lists)"
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
  case "${1:-}" in
    update) apt_private_update ;;
    fetch)
      shift
      [ $# -gt 0 ] || die "usage: apt-private.sh fetch PKG..."
      apt_fetch "$@"
      ;;
    apt-get | apt-cache)
      [ "$1 ${2:-}" = "apt-get update" ] || apt_private_lists
      apt_private "$@"
      ;;
    *) die "usage: [VM_APT_DIST=$(IFS='|'; echo "${VM_APT_DISTS[*]}")] apt-private.sh apt-get|apt-cache ARGS... | update | fetch PKG..." ;;
  esac
fi
