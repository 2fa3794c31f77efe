// What the editor says about verify results across kernels, on results read from logs 6.1 and 6.12
// printed for the branchless denial and the map lookup without a NULL check: one refusal per line and
// reason with the kernels that refuse and load it, and the CodeLens line per program. Literal expectations.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseLoadOnly } from '../../engine/src/loadOnly';
import { programResult, type VerifyResult } from '../../engine/src/verify';
import { groupRefusals, kernelLensText, kernelsText, nearLimitText, programLensText } from '../../engine/src/verifyReport';
import { sameReason } from '../../engine/src/verifierExplain';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

const SOURCES = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'verifier-editor');
const noObject = () => ({ programs: [], lines: new Map() });

function results(fixture: string, kernels: string[]): VerifyResult[] {
  return kernels.flatMap((kernel) => {
    const out = fs.readFileSync(path.join(FIXTURES, 'verifier-logs', `${kernel}-${fixture}-l5.out`), 'utf8');
    return parseLoadOnly(out, out)!.map((p) => programResult(path.join(SOURCES, `${fixture}.bpf.c`), kernel, p, noObject));
  });
}

describe('kernels side by side', () => {
  it('says which kernels refuse and which load', () => {
    assert.equal(kernelsText(['6.12'], ['6.1']), 'refused by 6.12, loads on 6.1');
    assert.equal(kernelsText(['6.1', '6.12'], []), 'refused by 6.1 and 6.12');
    assert.equal(kernelsText(['6.12', '7.2', '7.3'], ['6.1']), 'refused by 6.12, 7.2 and 7.3, loads on 6.1');
  });

  it('groups the branchless denial: refused by 6.12 at line 17, loads on 6.1', () => {
    const refusals = groupRefusals(results('branchless-deny', ['6.1', '6.12']));
    assert.equal(refusals.length, 1);
    const [r] = refusals;
    assert.deepEqual(
      { program: r.program, line: r.line, column: r.column, refusedBy: r.refusedBy, loadsOn: r.loadsOn, path: r.path.map((p) => p.line) },
      { program: 'deny_read_open', line: 17, column: 3, refusedBy: ['6.12'], loadsOn: ['6.1'], path: [15, 16, 17] },
    );
    assert.equal(r.message, 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]');
  });

  it('makes one refusal of the same line and message on two kernels', () => {
    const refusals = groupRefusals(results('map-null-check', ['6.1', '6.12']));
    assert.deepEqual(
      refusals.map((r) => [r.program, r.line, r.refusedBy, r.loadsOn]),
      [['count_unchecked', 21, ['6.1', '6.12'], []]],
    );
  });
});

describe('CodeLens text', () => {
  it("gives each kernel's figures, and a refusal's line", () => {
    const all = results('branchless-deny', ['6.12', '6.1']);
    assert.equal(
      programLensText(all.filter((r) => r.program === 'allow_all')),
      '6.12 verified: 2 insns, 0 states, 1.1 ms · 6.1 verified: 2 insns, 0 states, 0.9 ms',
    );
    assert.equal(
      programLensText(all.filter((r) => r.program === 'deny_read_open')),
      '6.12 refused (line 17) · 6.1 verified: 11 insns, 1 states, 59 ms',
    );
  });

  it('warns within 10 % of the 1M-instruction limit, not below', () => {
    const [r] = results('branchless-deny', ['6.1']);
    assert.equal(nearLimitText(r), undefined);
    const big = { ...r, insns: 912_345, nearLimit: true };
    assert.equal(kernelLensText(big), '6.1 verified: 912,345 insns, 1 states, 59 ms (near the 1M-instruction limit)');
    assert.equal(
      nearLimitText(big),
      'deny_read_open took 912,345 of the 1,000,000 instructions the 6.1 verifier processes at most: a little more code or branching and it is refused.',
    );
  });
});

describe('a static finding and the verifier giving the same reason', () => {
  it('pairs each predicting check with the words of the refusals it predicts, as the VM kernels print them', () => {
    const pairs: [string, string, boolean][] = [
      ['return-out-of-range', 'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]', true],
      ['return-out-of-range', 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]', true],
      ['return-out-of-range', "Note, BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!", true],
      ['helper-not-allowed', 'helper call might sleep in a non-sleepable prog', true],
      ['helper-not-allowed', 'sleepable helper bpf_copy_from_user#148 in non-sleepable prog', true],
      ['helper-not-allowed', 'helper call is not allowed in probe', true],
      ['helper-not-allowed', 'program of this type cannot use helper bpf_get_retval#186', true],
      ['helper-not-allowed', 'unknown func bpf_get_retval#186', true],
      ['kfunc-not-allowed', 'program must be sleepable to call sleepable kfunc bpf_get_file_xattr', true],
      ['unchecked-nullable-arg', "R1 invalid mem access 'trusted_ptr_or_null_'", true],
      ['unchecked-nullable-arg', 'R2 pointer arithmetic on trusted_ptr_or_null_ prohibited, null-check it first', true],
      // Different reasons on the same line are two diagnostics.
      ['return-out-of-range', "R0 invalid mem access 'map_value_or_null'", false],
      ['unchecked-nullable-arg', 'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]', false],
      ['misleading-indentation', 'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]', false],
      ['constructor', 'anything', false],
    ];
    for (const [code, message, expected] of pairs) assert.equal(sameReason(code, message), expected, `${code} / ${message}`);
  });
});
