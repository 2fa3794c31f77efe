// return-out-of-range through code (checks/returnRange.ts): what the user reads, which fixes come with it
// and where they edit, and the place the value came from, for each way a value reaches a return.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('return-out-of-range, in words', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  /** Each finding: [severity, line, column, message, fixes as [title, edits as [line, column, text]], related places]. */
  const returning = (kernel: string, body: string, before = '') =>
    analyzer
      .analyze(
        `char L[] SEC("license") = "GPL";\n${before}SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n${body}\n}\n`,
        catalog.target({ kernel }).target,
        catalog,
      )
      .findings.filter((f) => f.code === 'return-out-of-range')
      .map((f) => [
        f.severity,
        f.range.start.line,
        f.range.start.character,
        f.message,
        f.fixes?.map((x) => [x.title, x.edits.map((e) => [e.range.start.line, e.range.start.character, e.newText])]),
        f.related?.map((r) => [r.range.start.line, r.range.start.character, r.message]),
      ]);
  const RULE = "LSM programs on 'file_open' must return 0 (allow) or a negative errno (deny)";
  const REJECTED = `${RULE}; kernel 6.12 rejects the program at load.`;

  it('a constant returned: deny with its negation (-EPERM for 1) or allow; a name negated, with a hint', () => {
    assert.deepEqual(returning('6.12', '\treturn 1;'), [
      [
        'error',
        4,
        8,
        `Returns 1: ${REJECTED}`,
        [
          ['Return -EPERM (deny)', [[4, 8, '-EPERM']]],
          ['Return 0 (allow)', [[4, 8, '0']]],
        ],
        undefined,
      ],
    ]);
    assert.deepEqual(returning('6.12', '\treturn 5;'), [
      [
        'error',
        4,
        8,
        `Returns 5: ${REJECTED}`,
        [
          ['Return -5 (deny)', [[4, 8, '-5']]],
          ['Return 0 (allow)', [[4, 8, '0']]],
        ],
        undefined,
      ],
    ]);
    assert.deepEqual(returning('6.12', '\treturn EACCES;', '#define EACCES 13\n'), [
      [
        'error',
        5,
        8,
        `Returns 13: ${REJECTED} EACCES is 13: did you mean -EACCES?`,
        [['Return -EACCES (deny)', [[5, 8, '-EACCES']]]],
        undefined,
      ],
    ]);
    // Past the largest errno, negating it would still be out of range: no fix.
    assert.deepEqual(returning('6.12', '\treturn 5000;'), [['error', 4, 8, `Returns 5000: ${REJECTED}`, undefined, undefined]]);
  });

  it('before 6.12 a warning: the kernel loads it and misreads the verdict', () => {
    assert.deepEqual(returning('6.1', '\treturn 1;'), [
      [
        'warning',
        4,
        8,
        `Returns 1: ${RULE}; kernel 6.1.20 loads it, but the kernel misreads a positive verdict (on 6.1 the first matching call ` +
          'triggers a kernel WARNING and fails with EINVAL); from 6.12 it is rejected at load.',
        [
          ['Return -EPERM (deny)', [[4, 8, '-EPERM']]],
          ['Return 0 (allow)', [[4, 8, '0']]],
        ],
        undefined,
      ],
    ]);
  });

  it('a value set elsewhere: said once however many paths bring it, fixed where it is set, and that place named', () => {
    assert.deepEqual(returning('6.12', '\tint err = 1;\n\tif (file->f_flags)\n\t\tbpf_printk("x");\n\treturn err;'), [
      [
        'error',
        7,
        8,
        `Returns 1 (from line 5): ${REJECTED}`,
        [['Return -EPERM (deny) where the value is set (line 5)', [[4, 11, '-EPERM']]]],
        [[4, 11, "'err' is set to 1 here"]],
      ],
    ]);
    assert.deepEqual(returning('6.12', '\treturn check();', 'static int check(void) { return 1; }\n'), [
      [
        'error',
        5,
        8,
        `Returns 1 (from line 2): ${REJECTED}`,
        [['Return -EPERM (deny) where the value is set (line 2)', [[1, 32, '-EPERM']]]],
        [[1, 32, "'check' returns 1 here"]],
      ],
    ]);
    assert.deepEqual(returning('6.12', '\treturn file->f_flags ? 1 : 0;'), [
      [
        'error',
        4,
        8,
        `Returns 1 (from line 5): ${REJECTED}`,
        [['Return -EPERM (deny) where the value is set (line 5)', [[4, 24, '-EPERM']]]],
        [[4, 24, '1 is chosen on this branch']],
      ],
    ]);
  });
});
