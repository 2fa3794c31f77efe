// Memory stays bounded through hostile documents, measured on the real server process (VmRSS, which
// includes the analysis worker's WASM heap): while they are open, and after they are closed again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_ANALYSED_LENGTH } from '../../server/src/lsp/documentStore';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

/** The bounds README.md states (MiB). */
const PEAK_MIB = 600;
const AFTER_CLOSE_MIB = 250;

/** Just under the 4 MB limit. */
const SIZE = MAX_ANALYSED_LENGTH - 64;
const fill = (prefix: string, unit: string, size = SIZE) =>
  prefix + unit.repeat(Math.ceil(size / unit.length)).slice(0, size - prefix.length);
const PARSER_OUT_OF_MEMORY = /^The C parser failed on this file \(it needs more than the 256 MB of memory the parser may use\)/;

describe('memory through hostile documents', () => {
  let lsp: LspTestClient;
  let peak = 0;
  let sampler: NodeJS.Timeout;
  before(async () => {
    // The worker runs out of its parser's memory on these two, on purpose.
    lsp = await LspTestClient.start(
      { debounceMs: 0 },
      { expectFailures: /hostile-(?:braces|casts)\.bpf\.c: .*the 256 MB of memory the parser may use/ },
    );
    sampler = setInterval(() => {
      if (lsp.alive) peak = Math.max(peak, lsp.rssMiB());
    }, 20);
  });
  after(async () => {
    clearInterval(sampler);
    await lsp.stop();
  });

  it('stays under the bound while each is open, gives the memory back when they close, and says what it skipped', async (t) => {
    const start = lsp.rssMiB();
    const documents: [string, string, RegExp][] = [
      // Four million braces: error recovery at its most costly, past the parser's memory bound.
      ['braces', fill('SEC("lsm/file_open")\n', '{'), PARSER_OUT_OF_MEMORY],
      // Ambiguous casts: the parser would want gigabytes.
      ['casts', fill('SEC("lsm/file_open")\nint x = ', '(a)'), PARSER_OUT_OF_MEMORY],
      // A megabyte of programs, every one with a finding.
      ['program', fill('', fixture('lint', 'signature.bpf.c'), 1024 * 1024), /argument 2 is where BPF LSM passes the previous verdict/],
      [
        'too-large',
        fill('', fixture('lint', 'signature.bpf.c'), 4 * 1024 * 1024 + 100_000),
        /^File too large for BPF LSM analysis \(4\.10 MB; the limit is 4 MB\)\.$/,
      ],
    ];
    for (const [name, text, first] of documents) {
      const uri = `file:///work/hostile-${name}.bpf.c`;
      const { diagnostics } = await lsp.openAndWait(uri, text);
      assert.match((diagnostics[0]?.message as string) ?? '', first, name);
      assert.ok(peak < PEAK_MIB, `${name}: ${peak.toFixed(0)} MiB while open`);
      await lsp.close(uri);
    }
    // The worker goes with the last document it had, and its WASM memory with it (the thread ends
    // shortly after); the server's own heap shrinks as the collector gets to the texts.
    await lsp.hover('file:///work/none.bpf.c', 0, 0);
    assert.ok(lsp.logs.some((l) => /^analysis worker released \(\d+ MB, 0 document\(s\) to reparse\)$/.test(l)));
    let settled = lsp.rssMiB();
    for (let waited = 0; settled >= AFTER_CLOSE_MIB && waited < 5000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      settled = lsp.rssMiB();
    }
    t.diagnostic(`server RSS: ${start.toFixed(0)} MiB at start, ${peak.toFixed(0)} MiB peak, ${settled.toFixed(0)} MiB after closing`);
    assert.ok(settled < AFTER_CLOSE_MIB, `${settled.toFixed(0)} MiB after closing (${start.toFixed(0)} at start, peak ${peak.toFixed(0)})`);
    // Still working.
    const { diagnostics } = await lsp.openAndWait('file:///work/after.bpf.c', fixture('lint', 'seed-target-exec.bpf.c'));
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['unknown-hook', 'wrong-macro'],
    );
  });
});
