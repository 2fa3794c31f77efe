// always-denies (checks/alwaysDenies.ts) on the program forms and bodies the fixtures lack: BPF_PROG2,
// whose `ret` is named apart from its type, and a body with more denying returns than are pointed at.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('always-denies', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  const PROG2 = 'int BPF_PROG2(p, struct file *, file, int, ret)';
  /** [line, message] of each place an always-denies finding points at, for a file_open program. */
  const denials = (header: string, body: string) =>
    analyzer
      .analyze(`char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\n${header}\n{\n${body}\n}\n`, target, catalog)
      .findings.filter((f) => f.code === 'always-denies')
      .map((f) => f.related?.map((r) => [r.range.start.line, r.message]));

  it("follows BPF_PROG2's ret like BPF_PROG's: passing a denial on, then denying", () => {
    const body = '\tif (ret)\n\t\treturn ret;\n\treturn -1;';
    const expected = [
      [
        [5, "passes the earlier program's denial on here"],
        [6, 'denies here (-1)'],
      ],
    ];
    assert.deepEqual(denials('int BPF_PROG(p, struct file *file, int ret)', body), expected);
    assert.deepEqual(denials(PROG2, body), expected);
  });

  it('points at the first five denying returns, in the order they are written', () => {
    const body = [...Array.from({ length: 7 }, (_, i) => `\tif (file->f_flags == ${i})\n\t\treturn -${i + 1};`), '\treturn -EPERM;'].join(
      '\n',
    );
    assert.deepEqual(denials(PROG2, body), [
      [
        [5, 'denies here (-1)'],
        [7, 'denies here (-2)'],
        [9, 'denies here (-3)'],
        [11, 'denies here (-4)'],
        [13, 'denies here (-5)'],
      ],
    ]);
  });
});
