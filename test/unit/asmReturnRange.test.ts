// return-out-of-range on a naked program (checks/asmReturnRange.ts): r0 at `exit` against the hook's
// range, at both ends of it, and what each kernel does with a value outside, in words.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('return-out-of-range through inline assembly', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  /** [severity, line, first and last column, message] of each finding for `r0 = value` on file_open. */
  const returning = (kernel: string, value: number) =>
    analyzer
      .analyze(
        'char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\n__naked int BPF_PROG(p, struct file *file)\n' +
          `{\n\tasm volatile("r0 = ${value};" "exit;" ::: __clobber_all);\n}\n`,
        catalog.target({ kernel }).target,
        catalog,
      )
      .findings.filter((f) => f.code === 'return-out-of-range')
      .map((f) => [f.severity, f.range.start.line, f.range.start.character, f.range.end.character, f.message]);
  const RULE = "LSM programs on 'file_open' must return 0 (allow) or a negative errno (deny)";
  const SET = "Set r0 to a value in [-4095, 0] before 'exit'.";

  it('takes both ends of the range and reports a value past either, at the string that sets r0', () => {
    assert.deepEqual(returning('6.12', -4095), []);
    assert.deepEqual(returning('6.12', 0), []);
    assert.deepEqual(returning('6.12', -4096), [
      ['error', 4, 14, 27, `r0 is -4096 at 'exit': ${RULE}; kernel 6.12 rejects the program at load. ${SET}`],
    ]);
    assert.deepEqual(returning('6.12', 1), [
      ['error', 4, 14, 23, `r0 is 1 at 'exit': ${RULE}; kernel 6.12 rejects the program at load. ${SET}`],
    ]);
  });

  it('before 6.12 the kernel loads it and misreads the verdict: a warning that says so', () => {
    assert.deepEqual(returning('6.1', 1), [
      [
        'warning',
        4,
        14,
        23,
        `r0 is 1 at 'exit': ${RULE}; kernel 6.1.20 loads it, but the kernel misreads the verdict; from 6.12 it is rejected at load. ${SET}`,
      ],
    ]);
  });
});
