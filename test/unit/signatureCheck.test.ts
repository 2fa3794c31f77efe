// signature-mismatch in words (checks/signature.ts): what the user reads for each way a program's
// arguments can differ from its hook's, on 6.12's table, each message written out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('signature-mismatch, in words', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  /** [line, first column, last column, message] of each signature-mismatch in a program on `hook`. */
  const mismatches = (hook: string, args: string) =>
    analyzer
      .analyze(`char L[] SEC("license") = "GPL";\nSEC("lsm/${hook}")\nint BPF_PROG(p, ${args}) { return 0; }\n`, target, catalog)
      .findings.filter((f) => f.code === 'signature-mismatch')
      .map((f) => [f.range.start.line, f.range.start.character, f.range.end.character, f.message]);
  const FILE_OPEN = 'int file_open(struct file *file)';
  const TASK_FREE = 'void task_free(struct task_struct *task)';

  it('too many arguments: one finding over all the extra ones, with or without ret', () => {
    assert.deepEqual(mismatches('file_open', 'struct file *file, int ret, int x, int y'), [
      [2, 44, 56, `Too many arguments: file_open passes 1 argument(s) and the trailing int ret in 6.12; ${FILE_OPEN}.`],
    ]);
    assert.deepEqual(mismatches('task_free', 'struct task_struct *task, int ret'), [
      [2, 42, 49, `Too many arguments: task_free passes 1 argument(s) and no ret (it returns void) in 6.12; ${TASK_FREE}.`],
    ]);
  });

  it('the verdict slot declared as something else: a pointer, or another type', () => {
    const declared = (text: string, as: string) =>
      `argument 2 is where BPF LSM passes the previous verdict (int ret) for file_open, but it is declared '${text}': ` +
      `it would read the verdict as ${as}. ${FILE_OPEN}.`;
    assert.deepEqual(mismatches('file_open', 'struct file *file, struct file *ret'), [
      [2, 35, 51, declared('struct file *ret', 'a pointer')],
    ]);
    assert.deepEqual(mismatches('file_open', 'struct file *file, struct cred ret'), [
      [2, 35, 50, declared('struct cred ret', 'this type')],
    ]);
  });

  it('BPF_PROG2, whose arguments are type and name apart, is checked the same way', () => {
    const findings = analyzer
      .analyze(
        'char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\nint BPF_PROG2(p, struct file *, file, struct file *, ret) { return 0; }\n',
        target,
        catalog,
      )
      .findings.map((f) => [f.code, f.range.start.line, f.range.start.character, f.range.end.character, f.message]);
    assert.deepEqual(findings, [
      [
        'signature-mismatch',
        2,
        38,
        56,
        "argument 2 is where BPF LSM passes the previous verdict (int ret) for file_open, but it is declared 'struct file * ret': " +
          `it would read the verdict as a pointer. ${FILE_OPEN}.`,
      ],
    ]);
  });

  it("'ret' where the hook passes an argument: where the verdict is, or that there is none", () => {
    assert.deepEqual(mismatches('file_open', 'int ret'), [
      [
        2,
        16,
        23,
        `'ret' is argument 1, but in 6.12 file_open passes 'struct file *file' there; the previous verdict is argument 2. ${FILE_OPEN}.`,
      ],
    ]);
    assert.deepEqual(mismatches('task_free', 'int ret'), [
      [
        2,
        16,
        23,
        `'ret' is argument 1, but in 6.12 task_free passes 'struct task_struct *task' there; no verdict is passed (the hook returns void). ${TASK_FREE}.`,
      ],
    ]);
  });
});
