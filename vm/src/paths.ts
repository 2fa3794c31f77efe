// Where the VM tooling finds its build scripts (shipped in the .vsix and the npm package) and its cache.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../common/repoRoot';

export { REPO_ROOT };

/** The build scripts, the guest files and the loader and helper sources (a clone's, or the installed package's). */
export const VM_DIR = path.join(REPO_ROOT, 'vm');

/**
 * Downloads, images, keys and running instances, in this order of choice:
 * - `BPF_LSM_VM_CACHE` when set (vm/scripts/lib.sh takes it as it is: ensureImage passes this);
 * - in a development checkout (a `.git` folder or worktree file at the root), `.cache/vm` there, git-ignored;
 * - otherwise (an installed extension or npm package, whose folder may be read-only and goes on upgrade)
 *   a per-user cache, `$XDG_CACHE_HOME/bpf-lsm-studio/vm` or `~/.cache/bpf-lsm-studio/vm`.
 * Empty variables count as unset, and a relative XDG_CACHE_HOME is ignored, as the XDG spec says.
 */
export function vmCacheDir(repoRoot: string, env: NodeJS.ProcessEnv, home: string): string {
  if (env.BPF_LSM_VM_CACHE) return path.resolve(env.BPF_LSM_VM_CACHE);
  if (fs.existsSync(path.join(repoRoot, '.git'))) return path.join(repoRoot, '.cache', 'vm');
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(xdg, 'bpf-lsm-studio', 'vm');
}

/** The cache for this process (see vmCacheDir). */
export function cacheDir(): string {
  return vmCacheDir(REPO_ROOT, process.env, os.homedir());
}

/** Per-VM files (state, pid, serial log, ssh config), so several named VMs can run side by side. */
export function instanceDir(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid VM name '${name}'`);
  return path.join(cacheDir(), 'instances', name);
}
