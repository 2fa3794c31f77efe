// Start-up and typing as a user has them (the default debounceMs): the analysis worker started with the
// server is the one that analyses the first document (not a second one started on demand), and an edit
// to a small program is diagnosed well before the 150 ms the fixed debounce used to wait.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { smallProgram } from '../helpers/corpus';
import { LspTestClient } from './lspClient';

describe('language server start-up and typing with the default settings', () => {
  let lsp: LspTestClient;
  before(async () => {
    const level = process.env.BPF_LSM_LOG;
    process.env.BPF_LSM_LOG = 'debug';
    try {
      lsp = await LspTestClient.start({});
    } finally {
      if (level === undefined) delete process.env.BPF_LSM_LOG;
      else process.env.BPF_LSM_LOG = level;
    }
  });
  after(() => lsp.stop());

  it('analyses the first document on the worker started with the server', async () => {
    const { diagnostics } = await lsp.openAndWait('file:///work/startup.bpf.c', smallProgram());
    assert.deepEqual(diagnostics, []);
    const ready = lsp.logs.filter((l) => l.startsWith('analysis worker ready '));
    assert.equal(ready.length, 1, ready.join('\n'));
    assert.match(
      ready[0],
      /^analysis worker ready \d+ ms after it was started \(its code loaded at \d+ ms, then hook tables \d+ ms, C parser \d+ ms more\)$/,
    );
  });

  it('waits in proportion to the analyses of the document after an edit, not the whole debounce setting', async () => {
    const uri = 'file:///work/startup.bpf.c';
    const text = smallProgram();
    const line = text.split('\n').findIndex((l) => l.includes('return -EPERM;'));
    for (let i = 0; i < 6; i++) {
      const change =
        i % 2 === 0
          ? { range: { start: { line, character: 11 }, end: { line, character: 11 } }, text: 'x' }
          : { range: { start: { line, character: 11 }, end: { line, character: 12 } }, text: '' };
      const version = await lsp.change(uri, [change]);
      assert.equal((await lsp.nextDiagnostics(uri, version)).version, version);
    }
    const delays = lsp.logs.flatMap((l) => /^debounce file:\/\/\/work\/startup\.bpf\.c: (\d+) ms$/.exec(l)?.[1] ?? []).map(Number);
    assert.equal(delays.length, 6);
    // The fixed debounce waited the setting (150 ms) after every edit. A 30-line program's analyses take a
    // few ms (the first, on code not yet warm, longer): by the sixth edit their median sets the delay.
    const last = delays[5];
    assert.ok(last >= 5 && last < 150, `delays ${delays.join(', ')} ms`);
  });
});
