// Language-server figures, measured through the protocol against the real bundled server: cold start to
// first diagnostics (with where the start-up went), edit -> diagnostics as a client sees it (the user's
// default debounce setting, which the adaptive debounce stays under) and as the server alone answers
// (debounce 0), and resident memory.
import { spawnSync } from 'node:child_process';
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

/** A number the server logged (BPF_LSM_LOG=debug), by the pattern's first group. */
function logged(lsp: LspTestClient, pattern: RegExp): number | undefined {
  for (const line of lsp.logs) {
    const m = pattern.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const COLD_STARTS = 20;

/** Spawn to first diagnostics, COLD_STARTS times, and the median of each step the server logs. */
async function coldStart(): Promise<void> {
  const small = smallProgram();
  const total: number[] = [];
  const steps = new Map<string, number[]>();
  const step = (name: string, value: number | undefined) => {
    if (value !== undefined) steps.set(name, [...(steps.get(name) ?? []), value]);
  };
  const level = process.env.BPF_LSM_LOG;
  process.env.BPF_LSM_LOG = 'debug';
  try {
    for (let i = 0; i < COLD_STARTS; i++) {
      const t0 = performance.now();
      const lsp = await LspTestClient.start({});
      step('client: spawn to initialize answered', performance.now() - t0);
      await lsp.openAndWait('file:///bench/cold.bpf.c', small);
      total.push(performance.now() - t0);
      step('server: process start to initialize', logged(lsp, /^initialize (\d+) ms after the server process started/));
      step('server: worker started to ready', logged(lsp, /^analysis worker ready (\d+) ms after/));
      step('worker: started to its code loaded', logged(lsp, /its code loaded at (-?\d+) ms/));
      step('worker: hook tables unpacked', logged(lsp, /hook tables (\d+) ms/));
      step('worker: C parser (WASM) ready', logged(lsp, /C parser (\d+) ms/));
      step('worker: first analysis (parse, checks; code not yet warm)', logged(lsp, /^analysed \S+ in ([\d.]+) ms/));
      step('server: process start to first diagnostics', logged(lsp, /^first diagnostics (\d+) ms after the server process started/));
      await lsp.stop();
    }
  } finally {
    if (level === undefined) delete process.env.BPF_LSM_LOG;
    else process.env.BPF_LSM_LOG = level;
  }
  report('cold start: spawn to first diagnostics (30-line program)', summarise(total), 200);
  const node: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    node.push(performance.now() - t0);
  }
  console.log(`  ${'for scale: node -e 0'.padEnd(56)} median ${summarise(node).median.toFixed(0)} ms`);
  // The server's floor: a process whose worker thread starts, runs nothing and ends.
  const withWorker: number[] = [];
  const emptyWorker = "new (require('node:worker_threads').Worker)('', { eval: true })";
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', emptyWorker]);
    withWorker.push(performance.now() - t0);
  }
  console.log(`  ${'for scale: node -e 0 with an empty worker thread'.padEnd(56)} median ${summarise(withWorker).median.toFixed(0)} ms`);
  for (const [name, samples] of steps) console.log(`  ${name.padEnd(56)} median ${summarise(samples).median.toFixed(0)} ms`);
}

export async function benchServer(): Promise<void> {
  console.log('\n== Language server (protocol round trip over stdio) ==');
  await coldStart();

  const small = smallProgram();
  const large = largeFile();
  // As a user has it: the default debounceMs (150), which the adaptive debounce stays under.
  const user = await LspTestClient.start({});
  try {
    await user.openAndWait('file:///bench/small.bpf.c', small);
    await editLatency(user, 'file:///bench/small.bpf.c', small, 20);
    report(
      'edit -> diagnostics, 30-line program, client side (debounce incl.)',
      summarise(await editLatency(user, 'file:///bench/small.bpf.c', small, 200)),
      30,
    );
    await user.openAndWait('file:///bench/large.bpf.c', large);
    await editLatency(user, 'file:///bench/large.bpf.c', large, 20);
    report(
      'edit -> diagnostics, 5000 lines / 100 programs, client side',
      summarise(await editLatency(user, 'file:///bench/large.bpf.c', large, 200)),
      80,
    );
  } finally {
    await user.stop();
  }

  // The server alone: no debounce at all.
  const lsp = await LspTestClient.start({ debounceMs: 0 });
  try {
    await lsp.openAndWait('file:///bench/small.bpf.c', small);
    await editLatency(lsp, 'file:///bench/small.bpf.c', small, 20);
    report(
      'didChange -> publishDiagnostics, 30-line program, debounce 0',
      summarise(await editLatency(lsp, 'file:///bench/small.bpf.c', small, 200)),
      5,
    );
    const rssBefore = lsp.rssMiB();
    await lsp.openAndWait('file:///bench/large.bpf.c', large);
    const rssAfter = lsp.rssMiB();
    await editLatency(lsp, 'file:///bench/large.bpf.c', large, 20);
    report(
      'didChange -> publishDiagnostics, 5000 lines / 100 programs, debounce 0',
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
