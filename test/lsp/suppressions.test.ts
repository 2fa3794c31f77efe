// The language server and inline suppressions: a quick fix that suppresses a finding above its line, and
// one that removes a suppression that suppresses nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyEdits } from '../helpers/edits';
import { LspTestClient } from './lspClient';

const TEXT = [
  'char LICENSE[] SEC("license") = "GPL";',
  'SEC("lsm/file_open")',
  'int BPF_PROG(p, struct file *file, int ret)',
  '{',
  '\tif (ret)',
  '\t\treturn ret;',
  '\treturn 1;',
  '}',
  '',
].join('\n');

describe('language server: inline suppressions', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start({ debounceMs: 0 });
  });
  after(async () => {
    await lsp.stop();
  });

  it('suppresses a finding with a comment above its line, and removes the suppression once it is unused', async () => {
    const uri = 'file:///work/suppress.bpf.c';
    const { diagnostics } = await lsp.openAndWait(uri, TEXT);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['return-out-of-range'],
    );
    const actions = await lsp.codeActions(uri, diagnostics[0]);
    const suppress = actions.find((a) => a.title === "Suppress 'return-out-of-range' on this line (// bpf-lsm-disable-next-line)");
    assert.ok(suppress, actions.map((a) => a.title).join(', '));
    const suppressed = applyEdits(TEXT, suppress.edit!.changes![uri]);
    assert.equal(suppressed, TEXT.replace('\treturn 1;', '\t// bpf-lsm-disable-next-line return-out-of-range\n\treturn 1;'));

    const next = lsp.nextDiagnostics(uri, 2);
    await lsp.change(uri, [{ text: suppressed }]);
    assert.deepEqual((await next).diagnostics, []);

    // The finding goes (return 0): the suppression is now unused, and its fix removes its line.
    const fixedText = suppressed.replace('\treturn 1;', '\treturn 0;');
    const after = lsp.nextDiagnostics(uri, 3);
    await lsp.change(uri, [{ text: fixedText }]);
    const unused = (await after).diagnostics;
    assert.deepEqual(
      unused.map((d) => [d.code, d.severity, d.range.start.line]),
      [['unused-suppression', 2, 6]],
    );
    const unusedActions = await lsp.codeActions(uri, unused[0]);
    assert.deepEqual(
      unusedActions.map((a) => a.title),
      ["Remove the unused suppression of 'return-out-of-range'"],
    );
    assert.equal(applyEdits(fixedText, unusedActions[0].edit!.changes![uri]), TEXT.replace('\treturn 1;', '\treturn 0;'));
  });
});
