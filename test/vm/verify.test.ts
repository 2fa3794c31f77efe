// bpf-lsm-verify on the real kernels, one VM at a time (the CLI's pool boots 6.1, then 6.12, and stops
// each): the branchless conditional denial loads on 6.1 and 6.12's verifier refuses it at its return line
// with its own message; the map lookup without a NULL check is refused by both at the dereference, with
// the line taken from the object's BTF line info on 6.1 (which prints no file:line) and from the log on
// 6.12. Needs what vm/setup.sh installs.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { main, type VerifyRow } from '../../policy/src/verifyCli';
import { REPO_ROOT } from '../helpers/paths';

const FIXTURES = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'verifier-editor');

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('bpf-lsm-verify on the test VMs', () => {
  it('shows 6.1 loading the branchless denial and 6.12 refusing it at line 17', { timeout: 600_000 }, async () => {
    const out = new Capture();
    const err = new Capture();
    const code = await main(
      [
        '--kernel',
        '6.1,6.12',
        '--format',
        'json',
        path.join(FIXTURES, 'branchless-deny.bpf.c'),
        path.join(FIXTURES, 'map-null-check.bpf.c'),
      ],
      out,
      err,
    );
    assert.equal(code, 1, err.text);
    const rows = JSON.parse(out.text) as VerifyRow[];
    const brief = rows.map((r) => [path.basename(r.file), r.program, r.kernel, r.verdict, r.line, r.column, r.message]);
    assert.deepEqual(brief, [
      ['branchless-deny.bpf.c', 'deny_read_open', '6.1', 'verified', null, null, null],
      [
        'branchless-deny.bpf.c',
        'deny_read_open',
        '6.12',
        'rejected',
        17,
        10,
        'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]',
      ],
      ['branchless-deny.bpf.c', 'allow_all', '6.1', 'verified', null, null, null],
      ['branchless-deny.bpf.c', 'allow_all', '6.12', 'verified', null, null, null],
      ['map-null-check.bpf.c', 'count_unchecked', '6.1', 'rejected', 21, 10, "R0 invalid mem access 'map_value_or_null'"],
      ['map-null-check.bpf.c', 'count_unchecked', '6.12', 'rejected', 21, 10, "R0 invalid mem access 'map_value_or_null'"],
      ['map-null-check.bpf.c', 'count_checked', '6.1', 'verified', null, null, null],
      ['map-null-check.bpf.c', 'count_checked', '6.12', 'verified', null, null, null],
    ]);
    // The kernel's own figures: instructions processed, states, and its timing (BPF_LOG_STATS).
    const checked = rows.filter((r) => r.program === 'count_checked');
    for (const r of checked) {
      assert.equal(r.insns, 20);
      assert.equal(r.states, 1);
      assert.ok(typeof r.ms === 'number' && r.ms > 0, `${r.kernel}: ${r.ms}`);
    }
    assert.match(err.text, /booting kernel 6\.1[\s\S]*stopped[\s\S]*booting kernel 6\.12/, 'one VM at a time');
  });
});
