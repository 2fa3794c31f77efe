// missing-ret-passthrough where the value flow cannot follow the body (an #if inside it), so the
// structural walk (checks/passthrough.ts) decides alone: each guard spelling it takes, guards behind
// labels and gotos, and the ones that do not guard every path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('missing-ret-passthrough: the structural walk alone', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  /** [line, column] of each missing-ret-passthrough in a file_open program with this body. */
  const offending = (body: string) =>
    analyzer
      .analyze(
        `char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n${body}\n}\n`,
        target,
        catalog,
      )
      .findings.filter((f) => f.code === 'missing-ret-passthrough')
      .map((f) => [f.range.start.line, f.range.start.character]);
  // What the value flow cannot follow: the walk's verdict stands.
  const IF = '#ifdef TRACE\n\tbpf_printk("open");\n#endif\n';

  it('takes ret passed on when non-zero or negative, however the test is written', () => {
    for (const test of ['0 != ret', '0 > ret', 'ret < 0', 'ret != 0', 'ret'])
      assert.deepEqual(offending(`${IF}\tif (${test})\n\t\treturn ret;\n\treturn 0;`), [], test);
    // ret is never positive: a test for that passes nothing on.
    assert.deepEqual(offending(`${IF}\tif (ret > 0)\n\t\treturn ret;\n\treturn 0;`), [[9, 1]]);
  });

  it('follows a guard through labels and gotos', () => {
    assert.deepEqual(offending(`${IF}\tif (ret) {\n\t\tgoto out;\n\t}\n\treturn 0;\nout:\n\treturn ret;`), []);
    assert.deepEqual(offending(`${IF}\tif (ret) {\nout:\n\t\treturn ret;\n\t}\n\treturn 0;`), []);
    assert.deepEqual(offending(`${IF}again:\n\tif (ret)\n\t\treturn ret;\n\treturn 0;`), []);
    assert.deepEqual(offending(`${IF}\tif (ret)\n\t\tgoto a;\n\treturn 0;\na:\nb:\n\treturn ret;`), []);
  });

  it('a guard on one branch only does not guard what follows; the first return that overrides is the one shown', () => {
    assert.deepEqual(offending(`${IF}\tif (file) {\n\t\tif (ret)\n\t\t\treturn ret;\n\t}\n\treturn 0;`), [[11, 1]]);
    assert.deepEqual(offending('\tif (file->f_flags)\n\t\treturn 0;\n\treturn 0;'), [[5, 2]]);
  });
});
