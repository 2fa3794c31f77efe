// An analysis that cannot finish must reach the user, over the protocol: deep nesting, a crash of the
// WASM parser, a malformed notification. The user gets the findings that could be computed and a notice
// (a diagnostic on line 1 while the problem lasts, a message once), and other documents are unaffected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);

/** A program nested `depth` ifs deep, without a licence (so a complete analysis reports `license`). */
function deeplyNested(depth: number): string {
  return `SEC("lsm/file_open")\nint BPF_PROG(p, struct file *f, int ret) {\n${'if (x) {\n'.repeat(depth)}${'}\n'.repeat(depth)}return 0; }\n`;
}

describe('analysis that cannot finish reaches the user', () => {
  let lsp: LspTestClient;
  before(async () => {
    // What these tests provoke: deep.bpf.c may fail its checks, parser-crash.bpf.c its parser, and didOpen without a text.
    lsp = await LspTestClient.start({ debounceMs: 0 }, { expectFailures: /(?:deep|parser-crash)\.bpf\.c|^didOpen failed: / });
  });
  after(async () => {
    await lsp.stop();
  });

  it('20,000 nested ifs: what could be computed, and a notice naming what failed, told once', async () => {
    const uri = 'file:///work/deep.bpf.c';
    const text = deeplyNested(20_000);
    const { diagnostics } = await lsp.openAndWait(uri, text);
    const notices = diagnostics.filter((d) => d.code === undefined);
    if (codes(diagnostics).includes('license')) {
      // The checks ran (one by one, or deep nesting no longer fails): any that failed is named.
      for (const n of notices)
        assert.match(
          messageOf(n),
          /^The BPF LSM check '.+' failed on (this file|program 'p') \(.+\); its findings are missing, the other checks' are shown\.$/,
        );
    } else {
      assert.deepEqual(diagnostics.map(messageOf), [
        'BPF LSM analysis failed on this file (RangeError: Maximum call stack size exceeded); no findings could be computed.',
      ]);
      assert.equal(diagnostics[0].severity, 2);
      assert.deepEqual(diagnostics[0].range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    }
    const told = () => lsp.messages.filter((m) => m.message.startsWith('deep.bpf.c: ')).map((m) => m.message);
    assert.deepEqual(
      told(),
      notices.map((n) => `deep.bpf.c: ${messageOf(n)}`),
    );
    // Typing on: the diagnostics stay, the message is not repeated.
    const end = text.split('\n').length - 1;
    const version = await lsp.change(uri, [
      { range: { start: { line: end, character: 0 }, end: { line: end, character: 0 } }, text: '\n' },
    ]);
    assert.deepEqual((await lsp.nextDiagnostics(uri, version)).diagnostics.map(messageOf), diagnostics.map(messageOf));
    assert.equal(told().length, notices.length);
  });

  it('a crash of the WASM parser: a notice on that file, the others keep working, and the file is retried once it changes', async () => {
    const uri = 'file:///work/parser-crash.bpf.c';
    // Nested casts of products, `(a)*(a)*...`: tree-sitter overflows its WASM stack and corrupts itself.
    const poison = `SEC("lsm/file_open")\nint x = ${'(a)*'.repeat(5000)}a;\n`;
    const crashed = (await lsp.openAndWait(uri, poison)).diagnostics;
    assert.equal(crashed.length, 1);
    // A parse bound may give up before the crash; either way the user is told.
    assert.match(
      messageOf(crashed[0]),
      /^(The C parser failed on this file \(RuntimeError: [^)]+\); BPF LSM diagnostics resume when it changes\.|BPF LSM analysis gave up parsing this file .*)$/,
    );
    const other = await lsp.openAndWait('file:///work/after-crash.bpf.c', fixture('lint', 'seed-target-exec.bpf.c'));
    assert.deepEqual(codes(other.diagnostics), ['unknown-hook', 'wrong-macro']);
    const version = await lsp.change(uri, [{ text: fixture('lint', 'license-bad.bpf.c') }]);
    assert.deepEqual(codes((await lsp.nextDiagnostics(uri, version)).diagnostics), ['license']);
    assert.ok(lsp.alive);
  });

  it('a malformed notification is reported once, and the server keeps answering', async () => {
    await lsp.connection.sendNotification('textDocument/didOpen', {});
    await lsp.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///work/no-text.bpf.c' } });
    const { diagnostics } = await lsp.openAndWait('file:///work/after-bad-open.bpf.c', fixture('lint', 'seed-target-exec.bpf.c'));
    assert.deepEqual(codes(diagnostics), ['unknown-hook', 'wrong-macro']);
    assert.deepEqual(
      lsp.messages.filter((m) => m.message.includes('didOpen')).map((m) => [m.type, m.message]),
      [
        [
          1,
          'BPF LSM language server: handling didOpen failed (TypeError: didOpen without a document uri and text); the output channel has the details.',
        ],
      ],
    );
  });
});
