// unchecked-nullable-arg in words (checks/nullableArgs.ts), on 7.3 where mmap_file's file is
// file__nullable: the argument under the name the program gives it, the check it asks for, and which
// tests come first enough.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('unchecked-nullable-arg', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '7.3' });
  /** [line, first and last column, message] of each finding, for mmap_file with these arguments and body. */
  const nullable = (verdict: string, body: string) =>
    analyzer
      .analyze(
        'char L[] SEC("license") = "GPL";\nSEC("lsm/mmap_file")\n' +
          `int BPF_PROG(p, struct file *f, unsigned long reqprot, unsigned long prot, unsigned long flags, int ${verdict})\n{\n${body}\n}\n`,
        target,
        catalog,
      )
      .findings.filter((f) => f.code === 'unchecked-nullable-arg')
      .map((f) => [f.range.start.line, f.range.start.character, f.range.end.character, f.message]);
  const said = (returned: string) =>
    "p: 'f' of 'mmap_file' may be NULL, and kernel 7.3.4 marks it so (file__nullable): the verifier refuses this load without a " +
    `NULL check ("invalid mem access 'trusted_ptr_or_null_'"); kernels 6.1.192, 6.12.117 load it. Check it first: \`if (!f) return ${returned};\`.`;
  const LOAD = '\tif (f->f_mode & 1)\n\t\treturn -1;\n\treturn 0;';

  it('names the argument as the program does, and returns ret in the check it asks for only if there is one', () => {
    assert.deepEqual(nullable('ret', LOAD), [[4, 5, 14, said('ret')]]);
    assert.deepEqual(nullable('verdict', LOAD), [[4, 5, 14, said('0')]]);
  });

  it('a test before the load, or guarding it in the same condition, is enough; one after it is not', () => {
    assert.deepEqual(nullable('ret', `\tif (!f)\n\t\treturn 0;\n${LOAD}`), []);
    assert.deepEqual(nullable('ret', '\tif (f && f->f_mode & 1)\n\t\treturn -1;\n\treturn 0;'), []);
    assert.deepEqual(nullable('ret', '\tif (f->f_mode == 1 || !f)\n\t\treturn -1;\n\treturn 0;'), [[4, 5, 14, said('ret')]]);
  });
});
