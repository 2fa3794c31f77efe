// `npm run fuzz`: the analysis fuzz (documents through the analysis, in a watched child process), then
// the protocol fuzz (edit sequences against the bundled server). Prints what ran, every class of problem
// with its reproducer in .cache/fuzz/, hangs, peak memory and time; exits 1 when anything was found.
//
//   node out/test/fuzz/run.js [--documents N] [--sequences N] [--seed N] [--hang-ms MS] [--out DIR]
//   node out/test/fuzz/run.js --replay .cache/fuzz/FILE.json
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { runProtocolFuzz, replayProtocol } from '../lsp/fuzz';
import { replayAnalysisCase, runAnalysisFuzz, type AnalysisFuzzResult } from './analysisFuzz';
import { REPRODUCER_DIR } from './reproducers';

type Category = 'crash' | 'hang' | 'oracle';

/** Crashes (an exception, a dead or silent process), hangs, and the rest: wrong results. */
export function category(cls: string): Category {
  if (cls.startsWith('hang')) return 'hang';
  if (/-crash: |^worker-died|^server-(exits|stops-replying)|^logged-failure/.test(cls)) return 'crash';
  return 'oracle';
}

const mib = (x: number) => `${x.toFixed(0)} MiB`;

function table(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function replay(file: string): Promise<number> {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const found =
    saved.kind === 'analysis' ? (await replayAnalysisCase(saved)).map((p) => `${p.cls}: ${p.detail}`) : await replayProtocol(saved);
  console.log(`${file} (${saved.cls}):`);
  console.log(found.length === 0 ? '  no longer reproduces' : found.map((f) => `  ${f}`).join('\n'));
  return found.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      documents: { type: 'string', default: '100000' },
      sequences: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      'hang-ms': { type: 'string', default: '5000' },
      out: { type: 'string', default: REPRODUCER_DIR },
      replay: { type: 'string' },
    },
  });
  if (values.replay) return replay(values.replay);
  const seed = Number(values.seed);
  const documents = Number(values.documents);
  const sequences = Number(values.sequences);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const t0 = performance.now();
  const rows: { part: string; cls: string; count: number; first: string; detail: string; reproducer?: string }[] = [];

  console.log(`BPF LSM fuzz: seed ${seed}, ${documents} documents, ${sequences} edit sequences; reproducers in ${values.out}`);
  let analysis: AnalysisFuzzResult | undefined;
  if (documents > 0) {
    analysis = await runAnalysisFuzz({ seed, documents, hangMs: Number(values['hang-ms']), reproducerDir: values.out, log });
    const a = analysis;
    console.log(`analysis: ${a.documents} documents in ${a.seconds.toFixed(0)} s (${(a.documents / a.seconds).toFixed(0)}/s)`);
    console.log(`  kinds: ${table(a.byKind)}`);
    console.log(
      `  also: ${a.eolCompared} line-ending comparisons (LF, CRLF, CR), ${a.cliRuns} bpf-lsm-lint runs; refused as too large or too costly to parse: ${a.refused}`,
    );
    console.log(
      `  hangs (> ${values['hang-ms']} ms): ${a.hangs}; worker restarts: ${a.workerRestarts}; peak memory of the worker: ${mib(a.peakRssMiB)}`,
    );
    if (a.slowest.length > 0)
      console.log(
        `  slowest: ${a.slowest
          .slice(0, 5)
          .map((s) => `#${s.index} ${s.kind} ${(s.ms / 1000).toFixed(1)} s`)
          .join(', ')}`,
      );
    for (const p of a.problems) {
      rows.push({
        part: 'analysis',
        cls: p.cls,
        count: p.count,
        first: `case ${p.index} (${p.kind})`,
        detail: p.detail,
        reproducer: p.reproducer?.input ?? p.reproducer?.json,
      });
    }
  }
  if (sequences > 0) {
    const r = await runProtocolFuzz({ seed, sequences, reproducerDir: values.out, log });
    console.log(
      `protocol: ${r.sequences} edit sequences, ${r.edits} edits, ${r.requests} requests, ${r.frames} malformed frames, in ${r.seconds.toFixed(0)} s`,
    );
    console.log(`  hostile edits: ${table(r.hostileEdits)}`);
    console.log(`  ${r.compared} diagnostics compared with fresh; server restarts: ${r.restarts}; alive at the end: ${r.alive}`);
    console.log(
      `  server memory: ${mib(r.memory.startMiB)} at the start, peak ${mib(r.memory.peakMiB)}, ${mib(r.memory.afterCloseMiB)} after every document closed`,
    );
    console.log(
      `  documents just under the size limit: diagnostics after ${r.largeDocumentMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`,
    );
    for (const p of r.problems) {
      rows.push({
        part: 'protocol',
        cls: p.cls,
        count: p.count,
        first: `sequence ${p.sequence}`,
        detail: p.detail,
        reproducer: p.reproducer?.json,
      });
    }
    if (!r.alive) rows.push({ part: 'protocol', cls: 'server-exits', count: 1, first: 'end of run', detail: 'not alive at the end' });
  }
  const by = (c: Category) => rows.filter((r) => category(r.cls) === c);
  console.log(
    `\ncrashes: ${by('crash').length} classes (${by('crash').reduce((s, r) => s + r.count, 0)} cases); hangs: ${by('hang').reduce((s, r) => s + r.count, 0)}; ` +
      `oracle violations: ${by('oracle').length} classes (${by('oracle').reduce((s, r) => s + r.count, 0)} cases); time ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  for (const c of ['crash', 'hang', 'oracle'] as Category[]) {
    for (const r of by(c)) {
      console.log(
        `  [${c}] ${r.part}: ${r.count}× ${r.cls}\n      first: ${r.first}: ${r.detail.split('\n')[0].slice(0, 200)}${r.reproducer ? `\n      reproducer: ${r.reproducer}` : ''}`,
      );
    }
  }
  return rows.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      console.error(err.stack);
      process.exitCode = 2;
    },
  );
}
