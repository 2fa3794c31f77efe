// Edits that arrive while a document is being analysed are coalesced: a large file being typed into
// costs one analysis in flight and one for the newest text, not one per keystroke (the fuzzer found a
// burst of 13 edits to a 4 MB file taking 18 s because every stale version was analysed in turn).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

describe('diagnostics while a large file is edited', () => {
  let lsp: LspTestClient;
  before(async () => {
    const level = process.env.BPF_LSM_LOG;
    process.env.BPF_LSM_LOG = 'debug';
    try {
      lsp = await LspTestClient.start({ debounceMs: 0 });
    } finally {
      if (level === undefined) delete process.env.BPF_LSM_LOG;
      else process.env.BPF_LSM_LOG = level;
    }
  });
  after(() => lsp.stop());

  it('analyses the text in flight and the newest one, not every version typed meanwhile', async () => {
    const uri = 'file:///work/large-typing.bpf.c';
    const program = fixture('lint', 'seed-target-exec.bpf.c');
    const text = program.repeat(Math.ceil((1.5 * 1024 * 1024) / program.length));
    await lsp.openAndWait(uri, text);
    const analyses = () => lsp.logs.filter((l) => l.includes(`analysing ${uri} `)).length;
    const before = analyses();
    let version = 1;
    for (let i = 0; i < 10; i++) {
      version = await lsp.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: ' ' }]);
      await new Promise((r) => setTimeout(r, 30));
    }
    const last = await lsp.nextDiagnostics(uri, version, 60_000);
    assert.equal(last.version, version);
    const ran = analyses() - before;
    assert.ok(ran >= 1 && ran <= 3, `${ran} analyses for 10 edits`);
  });
});
