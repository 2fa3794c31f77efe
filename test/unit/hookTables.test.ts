import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { generateHookTables, serialiseTables, TABLES_PATH } from '../../scripts/generate-hook-tables';
import { HookCatalog, KernelSelectionError } from '../../server/src/hooks/catalog';
import { KERNEL_HOOKS_DIR, kernelHooksAvailable, skipIfMissing } from '../helpers/paths';

const EXPECTED_COUNTS: Record<string, number> = {
  '5.7.14': 229,
  '5.10.13': 234,
  '5.15.85': 238,
  '6.1.20': 243,
  '6.6.46-rpi': 250,
  '6.8': 252,
  '6.12': 268,
  '6.19': 273,
  '7.0': 273,
  '7.1.5': 277,
};

describe('committed hook tables', () => {
  it(
    'are what the generator derives from ../shared/kernel-hooks',
    { skip: skipIfMissing(kernelHooksAvailable(), KERNEL_HOOKS_DIR) },
    () => {
      const fresh = serialiseTables(generateHookTables(KERNEL_HOOKS_DIR));
      const committed = fs.readFileSync(TABLES_PATH, 'utf8');
      assert.ok(fresh === committed, `${TABLES_PATH} is stale: run \`npm run generate-tables\``);
    },
  );

  it('hold ten releases, oldest first, with the hook counts of the kernel headers', () => {
    const catalog = HookCatalog.bundled();
    assert.deepEqual(Object.fromEntries(catalog.releases.map((r) => [r.release, r.hooks.size])), EXPECTED_COUNTS);
    assert.deepEqual(
      catalog.releases.map((r) => r.release),
      Object.keys(EXPECTED_COUNTS),
    );
  });

  it('keep prototypes, defaults, conditions and bpf_lsm sets per release', () => {
    const catalog = HookCatalog.bundled();
    const r612 = catalog.select('6.12').table;
    assert.deepEqual(r612.hooks.get('file_open'), {
      name: 'file_open',
      ret: 'int',
      defaultValue: '0',
      args: [{ type: 'struct file *', name: 'file' }],
      condition: null,
    });
    assert.equal(r612.hooks.get('socket_connect')!.condition, 'CONFIG_SECURITY_NETWORK');
    assert.equal(r612.hooks.get('bprm_committed_creds')!.ret, 'void');
    assert.ok(r612.sets!.disabled.includes('vm_enough_memory'));
    assert.ok(r612.sets!.bool.includes('inode_xattr_skipcap'));
    assert.ok(r612.sets!.sleepable.includes('bprm_check_security'));
    assert.equal(catalog.select('5.10').table.sets!.sleepable.length, 0, '5.10 has no sleepable set');
    // A prototype that changed: socket_setsockopt lost nothing, but inode_setxattr gained an idmap argument.
    const old = catalog.select('5.10').table.hooks.get('inode_setxattr')!;
    const now = r612.hooks.get('inode_setxattr')!;
    assert.equal(now.args.length, old.args.length + 1);
    assert.deepEqual(catalog.releasesWith('file_truncate'), ['6.6.46-rpi', '6.8', '6.12', '6.19', '7.0', '7.1.5']);
  });
});

describe('choosing a kernel', () => {
  const catalog = HookCatalog.bundled();
  const pick = (v?: string) => catalog.select(v);

  it('defaults to the newest bundled release', () => {
    assert.equal(pick().table.release, '7.1.5');
    assert.equal(pick().note, undefined);
  });

  it('takes an exact release, with or without a v', () => {
    assert.equal(pick('6.12').table.release, '6.12');
    assert.equal(pick('v5.15.85').table.release, '5.15.85');
    assert.equal(pick('6.12').note, undefined);
  });

  it('maps a series or patch release to the bundled release of that series, and says so', () => {
    assert.equal(pick('6.1').table.release, '6.1.20');
    assert.equal(pick('6.1.5').table.release, '6.1.20');
    assert.equal(pick('6.1.0-28-amd64').table.release, '6.1.20');
    assert.match(pick('6.1').note!, /6\.1\.20 \(same 6\.1 series\)/);
  });

  it('maps other versions to the newest release not newer than them, and says so', () => {
    assert.equal(pick('6.10').table.release, '6.8');
    assert.match(pick('6.10').note!, /kernel 6\.10: using the hook table of 6\.8 \(the newest bundled release not newer than it\)/);
    assert.equal(pick('5.11').table.release, '5.10.13');
    assert.equal(pick('9.3').table.release, '7.1.5');
    assert.match(pick('9.3').note!, /no bundled table is as new/);
  });

  it('refuses what is not a version or predates BPF LSM', () => {
    assert.throws(() => pick('latest'), KernelSelectionError);
    assert.throws(() => pick('5.4'), /predates BPF LSM/);
  });

  it('derives the sets of a release without bpf_lsm.c data from its neighbours, conservatively', () => {
    const { target } = catalog.target({ kernel: '6.6' });
    assert.equal(target.release, '6.6.46-rpi');
    assert.match(target.note!, /derived from 6\.1\.20 and 6\.8/);
    const s61 = pick('6.1').table.sets!.sleepable;
    const s68 = pick('6.8').table.sets!.sleepable;
    assert.deepEqual(target.sets.sleepable, [...new Set([...s61, ...s68])].sort());
    // The disabled list reached stable series (Debian's 6.1 and 6.12 refuse these hooks too).
    assert.deepEqual(
      target.sets.disabled,
      [...new Set([...pick('6.12').table.sets!.disabled, 'xfrm_decode_session'])].filter((h) => target.hooks.has(h)).sort(),
    );
  });
});
