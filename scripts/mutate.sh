#!/usr/bin/env bash
# npm run mutate: the mutation run over server/src and common/ (stryker.config.mjs). Stryker works in a
# sandbox under .cache/stryker/tmp; the tests find the kernel headers at ../shared beside the repository,
# so the sandbox gets the same neighbour. Incremental: a rerun tests only mutants whose code or tests
# changed (.cache/stryker/incremental.json); `npm run mutate -- --force` tests all again.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/stryker/tmp
if [ -d ../shared ]; then
  ln -sfn "$(realpath ../shared)" .cache/stryker/tmp/shared
else
  echo "mutate: ../shared is missing; the tests that read the real kernel headers skip" >&2
fi
exec npx stryker run "$@"
