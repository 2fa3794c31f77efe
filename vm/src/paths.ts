// Where the VM tooling finds the repository, its build scripts and the git-ignored cache.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, whether running from vm/src (sources) or out/vm/src (compiled). */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

/** The build scripts, the guest files and the loader sources. */
export const VM_DIR = path.join(REPO_ROOT, 'vm');

/** Downloads, images, keys and running instances; BPF_LSM_VM_CACHE moves it (as in vm/scripts/lib.sh). */
export function cacheDir(): string {
  return process.env.BPF_LSM_VM_CACHE ?? path.join(REPO_ROOT, '.cache', 'vm');
}

/** Per-VM files (state, pid, serial log, ssh config), so several named VMs can run side by side. */
export function instanceDir(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid VM name '${name}'`);
  return path.join(cacheDir(), 'instances', name);
}
