// @ts-check
// A Stryker reporter that writes each result as it comes (reports/mutation/progress.jsonl), because
// Stryker's own reports appear only when a run ends: a stopped run still tells where it got to, each
// file's score so far and where the time went. Run as a script, it prints that summary:
//   node test/mutation/progressLog.mjs [reports/mutation/progress.jsonl]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

const LOG = 'reports/mutation/progress.jsonl';
const relative = (/** @type {string} */ file) => path.relative(process.cwd(), file);

class ProgressLog {
  start = Date.now();
  /** @type {Map<string, number>} a mutant's worst-case test time (ms), as Stryker planned it */
  netTime = new Map();

  constructor() {
    fs.mkdirSync(path.dirname(LOG), { recursive: true });
    fs.writeFileSync(LOG, '');
  }

  /** @param {string} kind @param {object} fields */
  write(kind, fields) {
    fs.appendFileSync(LOG, `${JSON.stringify({ kind, s: Math.round((Date.now() - this.start) / 1000), ...fields })}\n`);
  }

  /** @type {Map<string, { name: string, ms: number }>} each test's time in the dry run */
  tests = new Map();

  /** @param {import('@stryker-mutator/api/report').DryRunCompletedEvent} event */
  onDryRunCompleted(event) {
    /** @type {Record<string, number>} each test file's time (ms): where the tests a mutant runs are slow */
    const testFiles = {};
    for (const t of event.result.tests) {
      this.tests.set(t.id, { name: t.name, ms: t.timeSpentMs });
      const file = t.fileName ? relative(t.fileName) : '?';
      testFiles[file] = (testFiles[file] ?? 0) + t.timeSpentMs;
    }
    this.write('dry-run', {
      tests: this.tests.size,
      netS: Math.round(event.timing.net / 1000),
      overheadS: Math.round(event.timing.overhead / 1000),
      testFiles: Object.fromEntries(Object.entries(testFiles).sort((a, b) => b[1] - a[1])),
    });
  }

  /** @param {import('@stryker-mutator/api/report').MutationTestingPlanReadyEvent} event */
  onMutationTestingPlanReady(event) {
    /** @type {Record<string, { run: number, netMs: number }>} what each file's mutants would cost if all survived */
    const files = {};
    /** @type {Map<string, number>} per test, the mutants it covers */
    const covering = new Map();
    for (const p of event.mutantPlans) {
      if (p.plan !== 'Run') continue;
      const f = (files[relative(p.mutant.fileName)] ??= { run: 0, netMs: 0 });
      f.run++;
      f.netMs += Math.round(p.netTime);
      this.netTime.set(p.mutant.id, Math.round(p.netTime));
      for (const id of p.runOptions.testFilter ?? []) covering.set(id, (covering.get(id) ?? 0) + 1);
    }
    // The tests that weigh most on the run: time in the dry run times the mutants that would run them.
    const weighty = [...covering]
      .map(([id, mutants]) => ({ ...this.tests.get(id), mutants }))
      .sort((a, b) => (b.ms ?? 0) * b.mutants - (a.ms ?? 0) * a.mutants)
      .slice(0, 40);
    this.write('plan', { mutants: event.mutantPlans.length, run: this.netTime.size, files, weighty });
  }

  /** @param {Readonly<import('@stryker-mutator/api/core').MutantResult>} m */
  onMutantTested(m) {
    this.write('mutant', {
      file: relative(m.fileName),
      line: m.location.start.line,
      mutator: m.mutatorName,
      replacement: (m.replacement ?? '').slice(0, 60),
      status: m.status,
      tests: m.testsCompleted,
      netMs: this.netTime.get(m.id),
    });
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'progress-log', ProgressLog)];

/** Per file: results so far, score (killed and timed out over those plus survivors and uncovered), and the planned test time of what ran. */
function summarise(file) {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const files = new Map();
  let last = 0;
  for (const r of lines) {
    last = Math.max(last, r.s);
    if (r.kind !== 'mutant') continue;
    const f = files.get(r.file) ?? { statuses: {}, netMs: 0, survivorMs: 0 };
    f.statuses[r.status] = (f.statuses[r.status] ?? 0) + 1;
    if (r.status !== 'CompileError' && r.status !== 'Ignored') f.netMs += r.netMs ?? 0;
    if (r.status === 'Survived' || r.status === 'Timeout') f.survivorMs += r.netMs ?? 0;
    files.set(r.file, f);
  }
  const score = (s) => {
    const detected = (s.Killed ?? 0) + (s.Timeout ?? 0);
    const all = detected + (s.Survived ?? 0) + (s.NoCoverage ?? 0);
    return all ? `${((100 * detected) / all).toFixed(1)} %` : '-';
  };
  const total = {};
  for (const [name, f] of [...files].sort((a, b) => b[1].survivorMs - a[1].survivorMs)) {
    for (const [k, v] of Object.entries(f.statuses)) total[k] = (total[k] ?? 0) + v;
    const s = (ms) => `${Math.round(ms / 1000)} s`;
    console.log(
      `${name}: ${score(f.statuses)} ${JSON.stringify(f.statuses)} planned ${s(f.netMs)}, of it survivors and timeouts ${s(f.survivorMs)}`,
    );
  }
  const plan = lines.find((r) => r.kind === 'plan');
  const done = lines.filter((r) => r.kind === 'mutant').length;
  console.log(
    `all: ${score(total)} ${JSON.stringify(total)}; ${done} of ${plan?.mutants ?? '?'} mutants after ${Math.round(last / 60)} min`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) summarise(process.argv[2] ?? LOG);
