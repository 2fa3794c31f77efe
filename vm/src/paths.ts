// Where the VM tooling finds the repository, its build scripts and the git-ignored cache.
import * as path from 'node:path';
import { REPO_ROOT } from '../../common/repoRoot';

export { REPO_ROOT };

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
