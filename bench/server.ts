// Language-server figures, measured through the protocol against the real bundled server (debounce 0):
// cold start to first diagnostics, didChange -> publishDiagnostics, and resident memory.
import { LspTestClient } from '../test/lsp/lspClient';
import { largeFile, smallProgram } from '../test/helpers/corpus';
import { report, summarise } from './stats';

/** Types one character into a filler comment / the program and waits for that version's diagnostics. */
async function editLatency(lsp: LspTestClient, uri: string, text: string, edits: number): Promise<number[]> {
  const lines = text.split('\n');
  const line = lines.findIndex((l, i) => i > lines.length / 2 && (l.includes('/* filler */') || l.includes('bpf_printk')));
  const character = lines[line].indexOf('(') + 1;
  const samples: number[] = [];
  for (let i = 0; i < edits; i++) {
    // Alternately insert and delete one character, so the text stays the same size.
    const change =
      i % 2 === 0
        ? { range: { start: { line, character }, end: { line, character } }, text: 'x' }
        : { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' };
    const t0 = performance.now();
    const waiting = lsp.nextDiagnostics(uri, Number.MAX_SAFE_INTEGER);
    const version = await lsp.change(uri, [change]);
    const published = await Promise.race([waiting, lsp.nextDiagnostics(uri, version)]);
    if (published.version !== version) throw new Error(`got diagnostics for v${published.version}, wanted v${version}`);
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function benchServer(): Promise<void> {
  console.log('\n== Language server (protocol round trip over stdio, debounce 0) ==');
  const small = smallProgram();
  const large = largeFile();

  const coldSamples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const lsp = await LspTestClient.start({ debounceMs: 0 });
    await lsp.openAndWait('file:///bench/cold.bpf.c', small);
    coldSamples.push(performance.now() - t0);
    await lsp.stop();
  }
  report('cold start: spawn to first diagnostics (30-line program)', summarise(coldSamples), 300);

  const lsp = await LspTestClient.start({ debounceMs: 0 });
  try {
    await lsp.openAndWait('file:///bench/small.bpf.c', small);
    await editLatency(lsp, 'file:///bench/small.bpf.c', small, 20);
    report(
      'didChange -> publishDiagnostics, 30-line program',
      summarise(await editLatency(lsp, 'file:///bench/small.bpf.c', small, 200)),
      5,
    );
    const rssBefore = lsp.rssMiB();
    await lsp.openAndWait('file:///bench/large.bpf.c', large);
    const rssAfter = lsp.rssMiB();
    await editLatency(lsp, 'file:///bench/large.bpf.c', large, 20);
    report(
      'didChange -> publishDiagnostics, 5000 lines / 100 programs',
      summarise(await editLatency(lsp, 'file:///bench/large.bpf.c', large, 200)),
      25,
    );
    console.log(
      `${'server resident memory after opening the 5000-line file'.padEnd(58)} ${rssAfter.toFixed(1)} MiB (before: ${rssBefore.toFixed(1)} MiB)`,
    );
  } finally {
    await lsp.stop();
  }
}
