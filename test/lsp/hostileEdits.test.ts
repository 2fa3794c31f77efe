// Content changes as clients really send them, through the protocol: reversed ranges, positions past a
// line or the document, `rangeLength` without a range, a second didOpen, a version sent twice. After
// each, the server's diagnostics must equal those of the same text opened fresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

type Change = {
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
  rangeLength?: number;
};

/** What LSP says a change does: a range is sorted and clamped to the text; no range replaces it all. */
function applyChange(text: string, change: Change): string {
  if (!change.range) return change.text;
  const doc = TextDocument.create('file:///x', 'c', 0, text);
  const [a, b] = [doc.offsetAt(change.range.start), doc.offsetAt(change.range.end)].sort((x, y) => x - y);
  return text.slice(0, a) + change.text + text.slice(b);
}

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);

describe('content changes as clients really send them', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start();
  });
  after(async () => {
    await lsp.stop();
  });

  it('a range whose end is before its start, or past its line or the document, edits text and tree alike', async () => {
    const uri = 'file:///work/reversed.bpf.c';
    let text = fixture('lint', 'seed-connect-braced.bpf.c');
    assert.deepEqual((await lsp.openAndWait(uri, text)).diagnostics, []);
    const steps: { change: Change; expected: string[] }[] = [
      // Line 15 is the BPF_PROG line; its start is given past the line's end: `int addrlen, int ret)` goes.
      {
        change: { range: { start: { line: 14, character: 125 }, end: { line: 14, character: 71 } }, text: '' },
        expected: ['missing-ret-passthrough'],
      },
      // Across lines, reversed: from `return ret;` back into the line before.
      {
        change: { range: { start: { line: 18, character: 19 }, end: { line: 17, character: 4 } }, text: '{ return 1; }' },
        expected: ['missing-ret-passthrough', 'return-out-of-range'],
      },
      // From line 500 (past the end) back to the last line.
      {
        change: {
          range: { start: { line: 500, character: 3 }, end: { line: 34, character: 0 } },
          text: '}\nchar x[] SEC("license") = "Proprietary";\n',
        },
        expected: ['license', 'missing-ret-passthrough', 'return-out-of-range'],
      },
    ];
    for (const [i, { change, expected }] of steps.entries()) {
      const version = await lsp.change(uri, [change]);
      text = applyChange(text, change);
      const incremental = (await lsp.nextDiagnostics(uri, version)).diagnostics;
      assert.deepEqual(incremental, await lsp.freshDiagnostics(text), `step ${i}`);
      assert.deepEqual(codes(incremental).sort(), expected, `step ${i}`);
    }
  });

  it('a change with rangeLength and no range replaces the whole document', async () => {
    const uri = 'file:///work/range-length.bpf.c';
    await lsp.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    let text = fixture('lint', 'license-bad.bpf.c');
    let version = await lsp.change(uri, [{ text, rangeLength: 3 }]);
    assert.deepEqual(codes((await lsp.nextDiagnostics(uri, version, 5000)).diagnostics), ['license']);
    // Later incremental edits apply to the new text.
    const edit = {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      text: 'SEC("lsm/no_such_hook")\nint BPF_PROG(p) { return 0; }\n',
    };
    version = await lsp.change(uri, [edit]);
    text = applyChange(text, edit);
    const incremental = (await lsp.nextDiagnostics(uri, version)).diagnostics;
    assert.deepEqual(incremental, await lsp.freshDiagnostics(text));
    assert.deepEqual(codes(incremental), ['unknown-hook', 'license']);
  });

  it('a second didOpen of an open document replaces it, at the same version too', async () => {
    const uri = 'file:///work/reopened.bpf.c';
    assert.deepEqual(codes((await lsp.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'))).diagnostics), [
      'unknown-hook',
      'wrong-macro',
    ]);
    let text = fixture('lint', 'seed-connect-braced.bpf.c');
    const reopened = lsp.nextDiagnostics(uri);
    await lsp.open(uri, text);
    assert.deepEqual((await reopened).diagnostics, []);
    // The tree is the new text's: an edit of it gives what a fresh open gives.
    const edit = { range: { start: { line: 13, character: 16 }, end: { line: 13, character: 16 } }, text: 'x' };
    const version = await lsp.change(uri, [edit]);
    text = applyChange(text, edit);
    const incremental = (await lsp.nextDiagnostics(uri, version)).diagnostics;
    assert.deepEqual(incremental, await lsp.freshDiagnostics(text));
    assert.deepEqual(codes(incremental), ['unknown-hook']);
  });

  it("the same version sent twice with different text gets the second text's diagnostics", async () => {
    const uri = 'file:///work/same-version.bpf.c';
    await lsp.openAndWait(uri, fixture('lint', 'seed-connect-braced.bpf.c'));
    const at = { start: { line: 13, character: 16 }, end: { line: 13, character: 16 } };
    await lsp.change(uri, [{ range: at, text: 'x' }], 2);
    assert.deepEqual(codes((await lsp.nextDiagnostics(uri, 2)).diagnostics), ['unknown-hook']);
    await lsp.change(uri, [{ range: { start: at.start, end: { line: 13, character: 17 } }, text: '' }], 2);
    assert.deepEqual((await lsp.nextDiagnostics(uri, 2)).diagnostics, []);
  });

  it('a change without text is ignored and logged; the rest of the notification applies', async () => {
    const uri = 'file:///work/no-text.bpf.c';
    let text = fixture('lint', 'seed-connect-braced.bpf.c');
    await lsp.openAndWait(uri, text);
    const good = { range: { start: { line: 13, character: 16 }, end: { line: 13, character: 16 } }, text: 'x' };
    const version = await lsp.change(uri, [{ range: good.range, text: 42 }, good]);
    text = applyChange(text, good);
    const incremental = (await lsp.nextDiagnostics(uri, version, 5000)).diagnostics;
    assert.deepEqual(codes(incremental), ['unknown-hook']);
    assert.deepEqual(incremental, await lsp.freshDiagnostics(text));
    assert.ok(lsp.logs.some((l) => l.includes(`ignored a malformed content change to ${uri}`)));
  });
});
