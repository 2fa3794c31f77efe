// Where the test VMs' cache goes: BPF_LSM_VM_CACHE, else .cache/vm in a development checkout, else the
// user's cache folder (an installed extension or npm package, whose folder may be read-only). The build
// scripts (vm/scripts/lib.sh) must put it where the TypeScript side looks when handed BPF_LSM_VM_CACHE.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { cacheDir, REPO_ROOT, VM_DIR, vmCacheDir } from '../../vm/src/paths';

describe('test VM cache location', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-vm-paths-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const home = path.join(tmp, 'home');
  /** A package root; `git`: a .git folder, a .git file (a worktree or submodule), or none. */
  const root = (name: string, git?: 'dir' | 'file') => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{}');
    if (git === 'dir') fs.mkdirSync(path.join(dir, '.git'));
    if (git === 'file') fs.writeFileSync(path.join(dir, '.git'), 'gitdir: /elsewhere\n');
    return dir;
  };
  const clone = root('clone', 'dir');
  const worktree = root('worktree', 'file');
  const installed = root('installed');

  it('is BPF_LSM_VM_CACHE when set, wherever the code runs from (made absolute)', () => {
    for (const r of [clone, installed]) {
      assert.equal(vmCacheDir(r, { BPF_LSM_VM_CACHE: '/srv/vms', XDG_CACHE_HOME: '/x' }, home), '/srv/vms');
    }
    assert.equal(vmCacheDir(installed, { BPF_LSM_VM_CACHE: 'rel/vms' }, home), path.resolve('rel/vms'));
  });

  it('is .cache/vm of a development checkout (a .git folder or file at the root)', () => {
    assert.equal(vmCacheDir(clone, { XDG_CACHE_HOME: '/x' }, home), path.join(clone, '.cache', 'vm'));
    assert.equal(vmCacheDir(worktree, {}, home), path.join(worktree, '.cache', 'vm'));
  });

  it('is the per-user cache for an installed package: $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(vmCacheDir(installed, { XDG_CACHE_HOME: '/xdg/cache' }, home), '/xdg/cache/bpf-lsm-studio/vm');
    assert.equal(vmCacheDir(installed, {}, home), path.join(home, '.cache', 'bpf-lsm-studio', 'vm'));
  });

  it('takes empty variables as unset and ignores a relative XDG_CACHE_HOME (as the XDG spec says)', () => {
    assert.equal(vmCacheDir(clone, { BPF_LSM_VM_CACHE: '' }, home), path.join(clone, '.cache', 'vm'));
    assert.equal(vmCacheDir(installed, { XDG_CACHE_HOME: '' }, home), path.join(home, '.cache', 'bpf-lsm-studio', 'vm'));
    assert.equal(vmCacheDir(installed, { XDG_CACHE_HOME: 'cache' }, home), path.join(home, '.cache', 'bpf-lsm-studio', 'vm'));
  });

  it('of this process: the rule applied to the repository root; VM_DIR is the shipped vm/ folder', () => {
    assert.equal(cacheDir(), vmCacheDir(REPO_ROOT, process.env, os.homedir()));
    assert.equal(VM_DIR, path.join(REPO_ROOT, 'vm'));
    assert.ok(fs.existsSync(path.join(VM_DIR, 'setup.sh')));
  });

  it('is where the build scripts put it when handed BPF_LSM_VM_CACHE (as ensureImage does)', () => {
    const vmCache = path.join(tmp, 'scripts-cache');
    const said = execFileSync('bash', ['-c', 'source "$1" && printf %s "$VM_CACHE"', 'lib', path.join(VM_DIR, 'scripts', 'lib.sh')], {
      env: { ...process.env, BPF_LSM_VM_CACHE: vmCache },
      encoding: 'utf8',
    });
    assert.equal(said, vmCache);
  });
});
