#!/usr/bin/env bash
# `npm run setup`: everything a fresh Debian 12 machine needs for `npm start` and `npm test`:
# the BPF build tools, the pinned npm packages, the bundles in dist/, the test VM images (all four
# kernels), and the VS Code server with Chromium for the end-to-end tests. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== node $(node --version), npm $(npm --version)"
bash scripts/install-system-deps.sh          # clang, llvm, bpftool, libbpf-dev, make
npm ci --no-audit --no-fund
npm run build
bash vm/setup.sh                             # QEMU + Debian's 6.12, 6.1 (bookworm), 7.2 (sid) and 7.3 (trixie-backports) kernels
bash test/e2e/setup.sh                       # Node 24 + code-server (the real VS Code server) + Chromium
