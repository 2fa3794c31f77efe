// What the language server tells the user about the hook table its settings name (lsp/targetProvider.ts):
// each problem as the notice the user reads, written out.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../common/settings';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { resolveTarget } from '../../server/src/lsp/targetProvider';

const catalog = HookCatalog.bundled();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'target-provider-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const header = (name: string, lines: string[]) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
};
const GOOD = 'LSM_HOOK(int, 0, file_open, struct file *file)';
const broken = (n: number) => Array.from({ length: n }, (_, i) => `LSM_HOOK(int, 0, broken_${i}`);

describe('the hook table from the settings, and what is said about it', () => {
  it("a header's problems: the first five, how many more, and whether its good entries are used", () => {
    const seven = header('seven.h', [GOOD, ...broken(7)]);
    const r = resolveTarget({ ...DEFAULT_SETTINGS, hookDefsPath: seven }, catalog);
    assert.deepEqual(r.problems, [
      {
        severity: 'warning',
        message:
          `${seven} has 7 problem(s): line 2: LSM_HOOK entry is not closed with ); line 3: LSM_HOOK entry is not closed with ); ` +
          'line 4: LSM_HOOK entry is not closed with ); line 5: LSM_HOOK entry is not closed with ); ' +
          'line 6: LSM_HOOK entry is not closed with ) (and 2 more); the entries that parsed are used.',
      },
    ]);
    assert.deepEqual([...r.target.hooks.keys()], ['file_open']);
    const five = header('five.h', broken(5));
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, hookDefsPath: five }, catalog).problems, [
      {
        severity: 'error',
        message:
          `${five} has 5 problem(s): line 1: LSM_HOOK entry is not closed with ); line 2: LSM_HOOK entry is not closed with ); ` +
          'line 3: LSM_HOOK entry is not closed with ); line 4: LSM_HOOK entry is not closed with ); ' +
          'line 5: LSM_HOOK entry is not closed with ); using the bundled hook tables instead.',
      },
    ]);
    const clean = header('clean.h', [GOOD]);
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, hookDefsPath: clean }, catalog).problems, []);
  });

  it('an unreadable header, a BTF that is no BTF (falling back to the header), a kernel that is no release', () => {
    const missing = path.join(tmp, 'missing.h');
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, hookDefsPath: missing }, catalog).problems, [
      { severity: 'error', message: `bpfLsm.hookDefsPath: cannot read ${missing} (no such file); using the bundled hook tables.` },
    ]);
    const notBtf = header('not.btf', ['xx']);
    const clean = header('clean2.h', [GOOD]);
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, btfPath: notBtf, hookDefsPath: clean }, catalog).problems, [
      { severity: 'error', message: `bpfLsm.btfPath: ${notBtf}: not BTF: 3 bytes is shorter than the BTF header; using ${clean} instead.` },
    ]);
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, btfPath: notBtf }, catalog).problems, [
      {
        severity: 'error',
        message: `bpfLsm.btfPath: ${notBtf}: not BTF: 3 bytes is shorter than the BTF header; using the bundled hook tables instead.`,
      },
    ]);
    assert.deepEqual(resolveTarget({ ...DEFAULT_SETTINGS, kernel: 'nope' }, catalog).problems, [
      {
        severity: 'error',
        message:
          "bpfLsm.kernel: 'nope' is not a kernel version; use a release such as 6.12 or 6.1.20 (bundled: 5.7.14, 5.10.13, 5.15.85, " +
          '6.1.20, 6.6.46-rpi, 6.8, 6.12, 6.19, 7.0, 7.1.5, 7.2.13, 7.3.4). Using the newest bundled release.',
      },
    ]);
  });
});
