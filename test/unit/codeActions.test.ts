// The language server's quick fixes, in this process: one code action per fix a diagnostic carries, and
// one that suppresses the finding on its line (test/lsp/lsp.test.ts applies them all over the protocol).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CodeActionParams, Diagnostic } from 'vscode-languageserver';
import { codeActions } from '../../server/src/lsp/features/codeActions';

const uri = 'file:///w/a.bpf.c';
const text = 'SEC("lsm/file_opn")\nint BPF_PROG(p, struct file *file, int ret)\n{\n\treturn 0;\n}\n';
const at = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });
const fix = { title: "Change to 'file_open'", preferred: true, edits: [{ range: at(0, 9, 17), newText: 'file_open' }] };
const diagnostic: Diagnostic = { source: 'bpf-lsm', code: 'unknown-hook', range: at(0, 4, 18), message: 'm', data: { fixes: [fix] } };
const params = (diagnostics: Diagnostic[], only?: string[]): CodeActionParams => ({
  textDocument: { uri },
  range: at(0, 4, 18),
  context: { diagnostics, ...(only ? { only } : {}) },
});
const openText = (u: string) => (u === uri ? text : undefined);
const titles = (diagnostics: Diagnostic[], only?: string[], documentText = openText) =>
  codeActions(params(diagnostics, only), documentText).map((a) => a.title);

describe('quick fixes', () => {
  it('each fix of a diagnostic is an action with its edits, then one that suppresses it above its line', () => {
    assert.deepEqual(codeActions(params([diagnostic]), openText), [
      {
        title: "Change to 'file_open'",
        kind: 'quickfix',
        diagnostics: [diagnostic],
        isPreferred: true,
        edit: { changes: { [uri]: [{ range: at(0, 9, 17), newText: 'file_open' }] } },
      },
      {
        title: "Suppress 'unknown-hook' on this line (// bpf-lsm-disable-next-line)",
        kind: 'quickfix',
        diagnostics: [diagnostic],
        edit: { changes: { [uri]: [{ range: at(0, 0, 0), newText: '// bpf-lsm-disable-next-line unknown-hook\n' }] } },
      },
    ]);
  });

  it('offers nothing for other sources, other kinds asked for, or an unused suppression (it is removed, not suppressed)', () => {
    assert.deepEqual(titles([{ ...diagnostic, source: 'clangd' }]), []);
    assert.deepEqual(titles([diagnostic], ['refactor']), []);
    assert.deepEqual(titles([diagnostic], ['source', 'quickfix.other']), []);
    assert.equal(titles([diagnostic], ['refactor', 'quickfix']).length, 2);
    assert.deepEqual(titles([{ ...diagnostic, code: 'unused-suppression', data: undefined }]), []);
  });

  it('suppresses only a check code, on a line the document has, when the server has the text', () => {
    const fixOnly = ["Change to 'file_open'"];
    assert.deepEqual(titles([{ ...diagnostic, code: 'no-such-check' }]), fixOnly);
    assert.deepEqual(
      titles([diagnostic], undefined, () => undefined),
      fixOnly,
    );
    assert.deepEqual(titles([{ ...diagnostic, range: at(-1, 0, 1) }]), fixOnly);
    // The text has 6 lines (the last one empty): 0 to 5.
    assert.deepEqual(titles([{ ...diagnostic, range: at(6, 0, 0) }]), fixOnly);
    assert.equal(titles([{ ...diagnostic, range: at(5, 0, 0) }]).length, 2);
    assert.deepEqual(titles([{ ...diagnostic, range: undefined as unknown as Diagnostic['range'] }]), fixOnly);
    assert.deepEqual(titles([{ ...diagnostic, code: 'license', range: at(3, 1, 9), data: undefined }]), [
      "Suppress 'license' on this line (// bpf-lsm-disable-next-line)",
    ]);
    const [suppress] = codeActions(params([{ ...diagnostic, code: 'license', range: at(3, 1, 9), data: undefined }]), openText);
    assert.deepEqual(suppress.edit?.changes?.[uri], [{ range: at(3, 0, 0), newText: '\t// bpf-lsm-disable-next-line license\n' }]);
  });
});
