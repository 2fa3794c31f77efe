// Names that are members of every JavaScript object (`constructor`, `__proto__`, `toString`...) as hook
// names, document URIs and settings keys, through the protocol: they are names like any other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CompletionItem } from 'vscode-languageserver-protocol';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

/** The default kernel: the newest bundled release. */
const NEWEST = HookCatalog.bundled().newest.release;

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

describe('names of JavaScript built-ins', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start();
  });
  after(async () => {
    await lsp.stop();
  });

  it('as hook names: each is an unknown hook, with a hover that says so and no argument completion', async () => {
    const uri = 'file:///work/builtins.bpf.c';
    const text =
      NAMES.map((n) => `SEC("lsm/${n}")\nint BPF_PROG(p_${n}, int ret) { return ret; }\n`).join('') +
      'char LICENSE[] SEC("license") = "GPL";\n';
    const { diagnostics } = await lsp.openAndWait(uri, text);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.message]),
      NAMES.map((n, i) => ['unknown-hook', 2 * i, `'${n}' is not an LSM hook in any kernel release (bundled ${NEWEST}).`]),
    );
    for (const [i, n] of NAMES.entries()) {
      const hover = await lsp.hover(uri, 2 * i, 11);
      assert.equal(
        (hover!.contents as { value: string }).value,
        `**${n}** (kernel ${NEWEST}, bundled hook table)\n\nNot an LSM hook in any bundled release.`,
      );
    }
    const args = await lsp.request<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: 'file:///work/builtin-args.bpf.c' },
      position: { line: 1, character: 18 },
    });
    assert.deepEqual(args, []);
    await lsp.open('file:///work/builtin-args.bpf.c', 'SEC("lsm/constructor")\nint BPF_PROG(guard\n');
    assert.deepEqual(await lsp.completion('file:///work/builtin-args.bpf.c', 1, 18), []);
  });

  it('as document URIs: each document keeps its own text, diagnostics and closing', async () => {
    const docs = NAMES.map((n, i) => ({
      uri: i % 2 ? n : `file:///work/${n}`,
      text: i % 2 ? fixture('lint', 'seed-target-exec.bpf.c') : fixture('lint', 'license-bad.bpf.c'),
    }));
    for (const d of docs) {
      // Plain `.c`-less URIs are BPF documents by their content (SEC).
      const { diagnostics } = await lsp.openAndWait(d.uri, d.text);
      assert.deepEqual(
        diagnostics.map((x) => x.code),
        d.text.includes('target_exec') ? ['unknown-hook', 'wrong-macro'] : ['license'],
        d.uri,
      );
    }
    for (const d of docs) {
      const cleared = lsp.nextDiagnostics(d.uri);
      await lsp.close(d.uri);
      assert.deepEqual((await cleared).diagnostics, [], d.uri);
    }
  });

  it('as settings keys: ignored, and the settings that are valid still apply', async () => {
    const uri = 'file:///work/builtin-settings.bpf.c';
    await lsp.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    const next = lsp.nextDiagnostics(uri);
    await lsp.setSettings(
      JSON.parse(
        '{"debounceMs": 0, "severity": {"__proto__": "hint", "constructor": "hint", "toString": "hint", "unknown-hook": "warning"}, "disabledChecks": ["constructor", "__proto__"]}',
      ),
    );
    assert.deepEqual(
      (await next).diagnostics.map((d) => [d.code, d.severity]),
      [
        ['unknown-hook', 2],
        ['wrong-macro', 1],
      ],
    );
  });

  it('as the keys of pushed settings (a client that cannot be asked for them): ignored', async () => {
    const pushing = await LspTestClient.start({ debounceMs: 0, severity: { 'unknown-hook': 'warning' } }, { pullsSettings: false });
    try {
      const uri = 'file:///work/builtin-pushed.bpf.c';
      await pushing.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'));
      const again = pushing.nextDiagnostics(uri);
      await pushing.connection.sendNotification('workspace/didChangeConfiguration', {
        settings: JSON.parse('{"__proto__": {"bpfLsm": {"kernel": "5.10"}}, "constructor": {}, "bpfLsm": {"debounceMs": 0}}'),
      });
      assert.deepEqual(
        (await again).diagnostics.map((d) => [d.code, d.severity]),
        [
          ['unknown-hook', 1],
          ['wrong-macro', 1],
        ],
      );
    } finally {
      await pushing.stop();
    }
  });
});
