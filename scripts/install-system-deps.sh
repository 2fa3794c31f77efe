#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, when they are missing (CI runs on a fresh machine).
# Usage: scripts/install-system-deps.sh [PACKAGE...]  (default: the BPF build tools)
set -euo pipefail

packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(clang llvm bpftool libbpf-dev make)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "== installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
