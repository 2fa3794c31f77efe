// Inline suppressions: what each form drops, when one is reported unused, and the edits that add and
// remove them. The fixture test/fixtures/lint/suppressions.bpf.c covers the forms in a whole file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer, type AnalysisOptions } from '../../server/src/analysis/analyze';
import { suppressionEdit } from '../../server/src/analysis/suppressions';
import { TextIndex } from '../../server/src/ctext/textIndex';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { applyEdits } from '../helpers/edits';

const catalog = HookCatalog.bundled();
let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create();
});
after(() => analyzer.dispose());

const HEAD = 'char LICENSE[] SEC("license") = "GPL";\n';
const program = (body: string) =>
  `${HEAD}SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n\tif (ret)\n\t\treturn ret;\n${body}}\n`;

function analyse(text: string, options: AnalysisOptions = {}) {
  return analyzer.analyze(text, catalog.target({}).target, catalog, options).findings;
}
const summary = (text: string, options?: AnalysisOptions) => analyse(text, options).map((f) => `${f.range.start.line + 1}:${f.code}`);

describe('inline suppressions', () => {
  it('drops the finding on the next line, on the same line, and in the whole file; not elsewhere', () => {
    assert.deepEqual(summary(program('\treturn 1;\n')), ['7:return-out-of-range']);
    assert.deepEqual(summary(program('\t// bpf-lsm-disable-next-line return-out-of-range\n\treturn 1;\n')), []);
    assert.deepEqual(summary(program('\t/* bpf-lsm-disable-next-line license, return-out-of-range */\n\treturn 1;\n')), [
      '7:unused-suppression',
    ]);
    assert.deepEqual(summary(program('\treturn 1; // bpf-lsm-disable-line return-out-of-range -- why\n')), []);
    assert.deepEqual(summary(`// bpf-lsm-disable-file return-out-of-range\n${program('\treturn 1;\n\treturn 2;\n')}`), []);
    // Two lines down is not the next line.
    assert.deepEqual(summary(program('\t// bpf-lsm-disable-next-line return-out-of-range\n\n\treturn 1;\n')), [
      '7:unused-suppression',
      '9:return-out-of-range',
    ]);
  });

  it('is not fooled by a directive inside a string', () => {
    assert.deepEqual(summary(program('\tbpf_printk("// bpf-lsm-disable-next-line return-out-of-range");\n\treturn 1;\n')), [
      '8:return-out-of-range',
    ]);
  });

  it('does not call a suppression of a disabled check unused; disabling unused-suppression keeps the suppressions', () => {
    const text = program('\t// bpf-lsm-disable-next-line return-out-of-range\n\treturn 1;\n\treturn 0; // bpf-lsm-disable-line license\n');
    assert.deepEqual(summary(text), ['9:unused-suppression']);
    assert.deepEqual(summary(text, { disabledChecks: ['license'] }), []);
    assert.deepEqual(summary(text, { disabledChecks: ['unused-suppression'] }), []);
  });

  /** `text` with the fix of its one unused suppression applied (a fix that is the preferred one). */
  const fixed = (text: string) => {
    const unused = analyse(text).filter((f) => f.code === 'unused-suppression');
    assert.equal(unused.length, 1);
    assert.equal(unused[0].fixes![0].preferred, true);
    return applyEdits(text, unused[0].fixes![0].edits);
  };

  it('removes an unused suppression: its line when alone, the comment after code, one code of several', () => {
    assert.equal(fixed(program('\t// bpf-lsm-disable-next-line license\n\treturn 0;\n')), program('\treturn 0;\n'));
    assert.equal(fixed(program('\treturn 0; /* bpf-lsm-disable-line license */\n')), program('\treturn 0;\n'));
    assert.equal(
      fixed(program('\t// bpf-lsm-disable-next-line license, return-out-of-range\n\treturn 1;\n')),
      program('\t// bpf-lsm-disable-next-line return-out-of-range\n\treturn 1;\n'),
    );
    assert.equal(
      fixed(program('\t// bpf-lsm-disable-next-line return-out-of-range, license -- why\n\treturn 1;\n')),
      program('\t// bpf-lsm-disable-next-line return-out-of-range -- why\n\treturn 1;\n'),
    );
  });

  it('reads a directive to the end of its comment or the -- before its reason, and at most 32 codes', () => {
    assert.deepEqual(summary(program('\t/* bpf-lsm-disable-next-line return-out-of-range*/\n\treturn 1;\n')), []);
    // In a // comment "*/" is part of the code named.
    assert.deepEqual(summary(program('\t// bpf-lsm-disable-next-line return-out-of-range*/\n\treturn 1;\n')), [
      '7:unused-suppression',
      '8:return-out-of-range',
    ]);
    assert.match(
      analyse(program('\t// bpf-lsm-disable-next-line-- why\n\treturn 0;\n'))[0].message,
      /^This bpf-lsm-disable-next-line names no check code, so it suppresses nothing\. Name the codes: unknown-hook, /,
    );
    const many = program(`\t// bpf-lsm-disable-next-line ${Array(33).fill('license').join(', ')}\n\treturn 0;\n`);
    assert.equal(analyse(many).filter((f) => f.code === 'unused-suppression').length, 32);
  });

  it('says where an unused suppression looked, and removes it keeping the code beside it', () => {
    const fileWide = analyse(`// bpf-lsm-disable-file license\n${program('\treturn 0;\n')}`);
    assert.deepEqual(
      fileWide.map((f) => f.message),
      [
        "This suppression of 'license' suppressed nothing: there is no such finding in this file. Remove it, so it does not hide the next one.",
      ],
    );
    // Before the code: the comment and the spaces after it go, the indentation stays.
    assert.equal(fixed(program('\t/* bpf-lsm-disable-line license */  return 0;\n')), program('\treturn 0;\n'));
    // On the last line, with no line end after it.
    assert.equal(fixed(`${program('\treturn 0;\n')}  // bpf-lsm-disable-file license`), program('\treturn 0;\n'));
  });

  it('suggests a code within a quarter of its length (at least 2 edits), never for a name over 64 characters', () => {
    assert.match(analyse(program('\t// bpf-lsm-disable-next-line licen\n\treturn 0;\n'))[0].message, /did you mean 'license'\?$/);
    assert.match(analyse(program('\t// bpf-lsm-disable-next-line lic\n\treturn 0;\n'))[0].message, /Known codes: /);
    assert.match(
      analyse(program(`\t// bpf-lsm-disable-next-line ${'x'.repeat(65)}\n\treturn 0;\n`))[0].message,
      /is not a check code, so this suppression suppresses nothing\. Known codes: /,
    );
  });

  it('suggests the check code a typo meant, with the fix that changes it', () => {
    const text = program('\t// bpf-lsm-disable-next-line return-out-of-rang -- typo\n\treturn 1;\n');
    const findings = analyse(text);
    assert.deepEqual(
      findings.map((f) => [f.code, f.range.start.line + 1, f.message]),
      [
        [
          'unused-suppression',
          7,
          "'return-out-of-rang' is not a check code, so this suppression suppresses nothing: did you mean 'return-out-of-range'?",
        ],
        ['return-out-of-range', 8, findings[1].message],
      ],
    );
    assert.deepEqual(
      findings[0].fixes!.map((f) => f.title),
      ["Change to 'return-out-of-range'", "Remove the unused suppression of 'return-out-of-rang'"],
    );
    assert.deepEqual(summary(applyEdits(text, findings[0].fixes![0].edits)), []);
    assert.match(analyse(program('\t// bpf-lsm-disable-next-line zzzzzz\n\treturn 0;\n'))[0].message, /Known codes: unknown-hook, /);
  });

  it('stays linear on a file of thousands of directives', () => {
    const text = `${'// bpf-lsm-disable-next-line license, return-out-of-range\nint x;\n'.repeat(20000)}${program('\treturn 1;\n')}`;
    const counts = new Map<string, number>();
    for (const f of analyse(text)) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
    assert.deepEqual([...counts].sort(), [
      ['return-out-of-range', 1],
      ['unused-suppression', 40000],
    ]);
  });

  it('adds a suppression above a line with its indentation, or to the directive already there', () => {
    const text = 'int f(void)\r\n{\r\n\t// bpf-lsm-disable-next-line license -- why\r\n\treturn 1;\r\n  return 2;\r\n}\r\n';
    const index = new TextIndex(text);
    assert.equal(
      applyEdits(text, [suppressionEdit(text, index, 4, 'return-out-of-range')!]),
      'int f(void)\r\n{\r\n\t// bpf-lsm-disable-next-line license -- why\r\n\treturn 1;\r\n  // bpf-lsm-disable-next-line return-out-of-range\r\n  return 2;\r\n}\r\n',
    );
    assert.equal(
      applyEdits(text, [suppressionEdit(text, index, 3, 'return-out-of-range')!]),
      'int f(void)\r\n{\r\n\t// bpf-lsm-disable-next-line license, return-out-of-range -- why\r\n\treturn 1;\r\n  return 2;\r\n}\r\n',
    );
    const macro = '#define X(a) \\\n  a\nint y;\n';
    assert.equal(suppressionEdit(macro, new TextIndex(macro), 1, 'license'), null);
    // Indented by spaces, without a space after //, with a reason: the code goes before the reason.
    const spaced =
      'int f(void)\n{\n    //bpf-lsm-disable-next-line license  -- why\n    return 2;\n    // bpf-lsm-disable-next-line license\n    return 1;\n}\n';
    assert.equal(
      applyEdits(spaced, [suppressionEdit(spaced, new TextIndex(spaced), 3, 'return-out-of-range')!]),
      spaced.replace('license  -- why', 'license, return-out-of-range  -- why'),
    );
    assert.equal(
      applyEdits(spaced, [suppressionEdit(spaced, new TextIndex(spaced), 5, 'return-out-of-range')!]),
      spaced.replace('license\n    return 1;', 'license, return-out-of-range\n    return 1;'),
    );
    // Inside a block comment still open (closed further down): no line can go there.
    const inComment = '/* a\n b */ int x;\n';
    assert.equal(suppressionEdit(inComment, new TextIndex(inComment), 1, 'license'), null);
    assert.deepEqual(suppressionEdit('return 1;\n', new TextIndex('return 1;\n'), 0, 'license'), {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      newText: '// bpf-lsm-disable-next-line license\n',
    });
  });
});
