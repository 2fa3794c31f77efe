#!/usr/bin/env bash
# Debian bookworm's clangd 14 for the bench's side-by-side comparison (bench/clangd.ts), without root and
# without the host's apt: the .debs come through the VM tooling's private apt configuration
# (vm/scripts/apt-private.sh, lists and downloads under .cache/vm/apt) and are unpacked with dpkg-deb -x
# into .cache/clangd/root, once. Also writes .cache/clangd/vmlinux.h from this host's BTF (bpftool).
# Prints two lines: the clangd binary and the LD_LIBRARY_PATH it needs. Fails with a reason on stderr.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/.cache/clangd"
ROOT="$OUT/root"
CLANGD="$ROOT/usr/lib/llvm-14/bin/clangd"
LIBS="$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib/llvm-14/lib"
# clangd-14 and what it links that a bookworm host may lack (checked with ldd below); libclang-common
# has clang's own headers (stddef.h, ...).
PACKAGES=(clangd-14 libclang-cpp14 libllvm14 libclang-common-14-dev libgrpc++1.51 libgrpc29 libabsl20220623 libprotobuf32 libc-ares2 libre2-9)

if [ ! -x "$CLANGD" ]; then
  [ "$(uname -m)" = x86_64 ] || { echo "the bench fetches amd64 .debs; this host is $(uname -m)" >&2; exit 1; }
  debs="$(bash "$REPO/vm/scripts/apt-private.sh" fetch "${PACKAGES[@]}")"
  rm -rf "$ROOT.tmp" && mkdir -p "$ROOT.tmp"
  while read -r deb; do dpkg-deb -x "$deb" "$ROOT.tmp"; done <<< "$debs"
  rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
fi
missing="$(LD_LIBRARY_PATH="$LIBS" ldd "$CLANGD" | awk '/not found/ {print $1}' | tr '\n' ' ')"
[ -z "$missing" ] || { echo "clangd needs libraries this host lacks: $missing" >&2; exit 1; }

if [ ! -s "$OUT/vmlinux.h" ]; then
  command -v bpftool >/dev/null || PATH="$PATH:/usr/sbin:/sbin"
  command -v bpftool >/dev/null || { echo "bpftool is needed to write vmlinux.h (apt install bpftool)" >&2; exit 1; }
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$OUT/vmlinux.h.tmp"
  mv "$OUT/vmlinux.h.tmp" "$OUT/vmlinux.h"
fi
echo "$CLANGD"
echo "$LIBS"
