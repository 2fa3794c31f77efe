// misleading-indentation in words and at its edges (checks/misleadingIndentation.ts): what it says a
// statement that runs unconditionally does, and the layouts that are not misleading.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('misleading-indentation', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  const FILE_OPEN = ['lsm/file_open', 'int BPF_PROG(p, struct file *file, int ret)'] as const;
  /** [line, column, message] of each finding in a program with this body. */
  const findings = (body: string, [section, header]: readonly [string, string] = FILE_OPEN) =>
    analyzer
      .analyze(`char L[] SEC("license") = "GPL";\nSEC("${section}")\n${header}\n{\n${body}\n}\n`, target, catalog)
      .findings.filter((f) => f.code === 'misleading-indentation')
      .map((f) => [f.range.start.line, f.range.start.character, f.message]);
  const said = (line: number, effect: string) =>
    `This statement is indented as if it belonged to the unbraced 'if' on line ${line}, but only the first statement does: ` +
    `it runs unconditionally.${effect} Add braces.`;
  const UNBRACED = '\tif (file->f_flags)\n\t\tbpf_printk("x");\n';

  it('a denying return: whenever it is reached if the program can leave before, every time if not', () => {
    assert.deepEqual(findings(`\tif (!file)\n\t\tgoto out;\n${UNBRACED}\t\treturn -EPERM;\nout:\n\treturn 0;`), [
      [8, 2, said(7, ' It returns -EPERM whenever it is reached.')],
    ]);
    // Returning ret never leaves early: ret is 0 whenever the program runs.
    assert.deepEqual(findings(`\tif (ret)\n\t\treturn ret;\n${UNBRACED}\t\treturn -EPERM;`), [
      [8, 2, said(7, ' It returns -EPERM every time, so the program denies every file_open call.')],
    ]);
  });

  it('a return that allows, or returns nothing, is reported without a verdict', () => {
    assert.deepEqual(findings(`${UNBRACED}\t\treturn 0;`), [[6, 2, said(5, '')]]);
    assert.deepEqual(findings(`${UNBRACED}\t\treturn;`, ['lsm/task_free', 'void BPF_PROG(p, struct task_struct *task)']), [
      [6, 2, said(5, '')],
    ]);
  });

  it('nothing when the statements are not indented under the if, or indented with other whitespace', () => {
    assert.deepEqual(findings('if (file->f_flags)\nbpf_printk("x");\nreturn -1;'), []);
    assert.deepEqual(findings(`${UNBRACED}\t return -1;`), []);
  });
});
