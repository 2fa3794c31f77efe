// The in-process analysis fuzz: documents from cases.ts through the analysis (Analyzer, the hook-defs
// parser, the BTF reader, and now and then the command-line linter), in a child process watched by the
// parent. A document that takes longer than the hang bound gets the child killed and is reported as a
// hang; the run goes on from the next document. Each new class of problem is shrunk in the child and
// written to .cache/fuzz/ by the parent.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Analyzer } from '../../server/src/analysis/analyze';
import type { Finding } from '../../server/src/analysis/findings';
import { hooksFromBtf } from '../../server/src/btf/btfHooks';
import { BtfError } from '../../server/src/btf/btfReader';
import { HookCatalog, type KernelTarget } from '../../server/src/hooks/catalog';
import { main as lintMain } from '../../server/src/cli/lint';
import { generateCase, type FuzzCase } from './cases';
import { withLineEndings } from './corpora';
import { crashClass, findingKeys, lspLineLengths, rangeProblems, suspiciousText, type Problem } from './oracles';
import { minimizeText, REPRODUCER_DIR, saveReproducer, type SavedReproducer } from './reproducers';

// ---- one case ------------------------------------------------------------------------------------------

/** Where the linter oracle of the worker `pid` writes its files (removed by the parent too, if it was killed). */
const cliDirOf = (pid: number) => path.join(os.tmpdir(), `bpf-lsm-fuzz-cli-${pid}`);

/** How the analysis refuses a file too large or too costly to parse: an answer, not a crash. */
const REFUSAL = /too large|took too long|parsing stopped|was not analysed|gave up/i;

class Checker {
  private readonly catalog = HookCatalog.bundled();
  private readonly targets = new Map<string, KernelTarget>();
  private cliDir: string | undefined;
  /** What the last check did besides analysing once (reset by the caller). */
  stats = { eolCompared: 0, cliRuns: 0, refused: 0 };

  private constructor(private readonly analyzer: Analyzer) {}

  static async create(): Promise<Checker> {
    return new Checker(await Analyzer.create());
  }

  private target(c: FuzzCase, problems: Problem[]): KernelTarget | null {
    if (c.header !== undefined) {
      let selected;
      try {
        selected = this.catalog.target({ kernel: c.kernel, hookDefs: { path: 'fuzz/lsm_hook_defs.h', text: c.header } });
      } catch (err) {
        problems.push(crashClass('hook-defs', err));
        return null;
      }
      // Lines it reports (errors, and where each hook is declared) must be lines of the header.
      const lines = lspLineLengths(c.header).length;
      const fromHeader = selected.target.hooks !== this.catalog.select(c.kernel).table.hooks;
      const own = fromHeader ? [...selected.target.hooks.values()] : [];
      for (const [what, line] of [
        ...selected.headerErrors.map((e) => ['error', e.line] as const),
        ...own.map((h) => ['hook', h.line] as const),
      ]) {
        if (line !== undefined && !(Number.isInteger(line) && line >= 1 && line <= lines)) {
          problems.push({ cls: `hook-defs-${what}-line-outside-the-header`, detail: `line ${line} of ${lines}` });
          break;
        }
      }
      return selected.target;
    }
    if (c.btf !== undefined) {
      let hooks;
      try {
        hooks = hooksFromBtf(c.btf).hooks;
      } catch (err) {
        if (!(err instanceof BtfError)) problems.push(crashClass('btf', err));
        return null;
      }
      // A type that refers back to itself has no C spelling: rendering it must not unroll the cycle.
      for (const h of hooks) {
        const types = [h.ret, ...h.args.map((a) => a.type)].join(', ');
        if (/((const|volatile|restrict) ){5,}|\*{9,}|(\[\d+\]){9,}/.test(types)) {
          problems.push({ cls: 'btf-type-cycle-unrolled-into-a-prototype', detail: `${h.name}: ${types}`.slice(0, 300) });
        }
      }
      // Named both ways the catalog has taken it (`path`, earlier `source`).
      const btf = { path: 'fuzz.btf', source: 'BTF of fuzz.btf', hooks };
      return this.catalog.target({ kernel: c.kernel, btf }).target;
    }
    const key = c.kernel ?? '';
    let t = this.targets.get(key);
    if (!t) this.targets.set(key, (t = this.catalog.target({ kernel: c.kernel }).target));
    return t;
  }

  /** Findings of `text`, or null when the analysis refused it or crashed (the crash is in `problems`). */
  private analyze(text: string, target: KernelTarget, problems: Problem[]): Finding[] | null {
    try {
      return this.analyzer.analyze(text, target, this.catalog).findings;
    } catch (err) {
      if (REFUSAL.test((err as Error).message)) {
        this.stats.refused++;
        return null;
      }
      problems.push(crashClass('analysis', err));
      return null;
    }
  }

  /** Every problem the case shows. */
  async check(c: FuzzCase): Promise<Problem[]> {
    const problems: Problem[] = [];
    const target = this.target(c, problems);
    if (!target) return problems;
    const findings = this.analyze(c.text, target, problems);
    if (findings) {
      const lines = lspLineLengths(c.text);
      for (const f of findings) {
        problems.push(...suspiciousText(f.message, c.text, 'finding'), ...rangeProblems(f.range, lines, 'finding'));
        for (const fix of f.fixes ?? []) {
          problems.push(...suspiciousText(fix.title, c.text, 'fix'));
          for (const e of fix.edits) problems.push(...suspiciousText(e.newText, c.text, 'fix'), ...rangeProblems(e.range, lines, 'fix'));
        }
      }
      if (c.eolOracle) problems.push(...this.lineEndingOracle(c.text, findings, target));
    }
    if (c.cliName) problems.push(...(await this.cliOracle(c.text, c.cliName)));
    return dedupe(problems);
  }

  /** The same program with CRLF and with CR line endings must give the same findings at the same places. */
  private lineEndingOracle(text: string, findings: Finding[], target: KernelTarget): Problem[] {
    this.stats.eolCompared++;
    const expected = findingKeys(findings);
    const problems: Problem[] = [];
    for (const eol of ['crlf', 'cr'] as const) {
      const other = this.analyze(withLineEndings(text, eol), target, problems);
      if (!other) continue;
      const got = findingKeys(other);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        problems.push({
          cls: `line-endings-${eol}-change-findings`,
          detail: `LF: ${expected.join(' ')} | ${eol.toUpperCase()}: ${got.join(' ')}`.slice(0, 500),
        });
      }
    }
    return problems;
  }

  /**
   * bpf-lsm-lint on the program saved under a hostile name: a readable text file never exits 2, text output
   * has one well-formed line per finding, and nothing in it drives the terminal.
   */
  private async cliOracle(text: string, name: string): Promise<Problem[]> {
    this.stats.cliRuns++;
    if (!this.cliDir) {
      this.cliDir = cliDirOf(process.pid);
      fs.mkdirSync(this.cliDir, { recursive: true });
    }
    const file = path.join(this.cliDir, name);
    fs.writeFileSync(file, text);
    const run = async (format: string) => {
      let out = '';
      let err = '';
      // Streams that collect what the linter writes.
      const sink = <T>(f: (s: string) => void) => ({ write: (s: string) => (f(s), true) }) as unknown as T;
      let code: number;
      try {
        code = await lintMain(
          ['--format', format, file],
          sink<typeof process.stdout>((s) => (out += s)),
          sink<typeof process.stderr>((s) => (err += s)),
        );
      } catch (e) {
        return { code: -1, out, err, crash: e };
      }
      return { code, out, err, crash: undefined };
    };
    const problems: Problem[] = [];
    const textRun = await run('text');
    const jsonRun = await run('json');
    fs.rmSync(file, { force: true });
    for (const r of [textRun, jsonRun]) if (r.crash) problems.push(crashClass('cli', r.crash));
    if (problems.length > 0) return problems;
    const binary = Buffer.from(text, 'utf8').subarray(0, 8192).includes(0);
    if (textRun.code === 2 && !binary && !REFUSAL.test(textRun.err))
      problems.push({ cls: 'cli-exits-2-on-a-readable-file', detail: textRun.err.slice(0, 300) });
    let json: { message: string }[] = [];
    try {
      json = JSON.parse(jsonRun.out || '[]');
    } catch {
      problems.push({ cls: 'cli-json-output-does-not-parse', detail: jsonRun.out.slice(0, 300) });
    }
    const output = textRun.out + textRun.err;
    if (hasControl(name) && output.includes(name)) {
      problems.push({ cls: 'cli-prints-file-name-with-control-characters-raw', detail: JSON.stringify(output.slice(0, 300)) });
    } else if (json.some((f) => hasControl(f.message) && output.includes(f.message))) {
      problems.push({ cls: 'cli-prints-message-with-control-characters-raw', detail: JSON.stringify(output.slice(0, 300)) });
    } else {
      // A finding's related places follow it as `file:line:col: note: ...` lines.
      const lines = textRun.out
        .split('\n')
        .slice(0, -1)
        .filter((l) => !/^[^]+:\d+:\d+: note: /.test(l));
      if (lines.length !== json.length) {
        problems.push({
          cls: 'cli-text-output-lines-differ-from-findings',
          detail: `${lines.length} lines, ${json.length} findings: ${JSON.stringify(textRun.out.slice(0, 300))}`,
        });
      } else if (lines.some((l) => !/^[^]+:\d+:\d+: (error|warning|information|hint): [^]* \[[a-z-]+\]$/.test(l))) {
        problems.push({ cls: 'cli-text-output-malformed-line', detail: JSON.stringify(textRun.out.slice(0, 300)) });
      }
    }
    return problems;
  }

  dispose(): void {
    this.analyzer.dispose();
    if (this.cliDir) fs.rmSync(this.cliDir, { recursive: true, force: true });
  }
}

/** C0 and C1 control characters but tab (newlines included): what a terminal acts on instead of showing. */
function hasControl(s: string): boolean {
  return [...s].some((c) => {
    const code = c.codePointAt(0)!;
    return (code < 0x20 && c !== '\t') || (code >= 0x7f && code <= 0x9f);
  });
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.cls) && seen.add(p.cls));
}

/** Shrinks the case's header (header cases), then its program, while the class still shows. */
async function shrink(checker: Checker, c: FuzzCase, cls: string, budgetMs: number, heartbeat: () => void): Promise<FuzzCase> {
  if (c.btf) return c;
  // The linter runs only for its own classes (it is the slow part).
  let current: FuzzCase = { ...c, cliName: cls.startsWith('cli-') ? c.cliName : undefined };
  const fields = c.header !== undefined ? (['header', 'text'] as const) : (['text'] as const);
  for (const field of fields) {
    const fails = async (candidate: string) => {
      heartbeat();
      return (await checker.check({ ...current, [field]: candidate })).some((p) => p.cls === cls);
    };
    current = { ...current, [field]: await minimizeText(current[field]!, fails, budgetMs / fields.length) };
  }
  return { ...current, cliName: c.cliName };
}

// ---- the child -----------------------------------------------------------------------------------------

export interface ChildStart {
  seed: number;
  from: number;
  to: number;
  /** Classes already shrunk (by an earlier child of this run). */
  known: string[];
  minimizeMs: number;
}

type ChildMessage =
  | { type: 'ready' }
  | { type: 'done'; index: number; kind: string; ms: number; problems: Problem[]; stats: Checker['stats'] }
  | { type: 'shrinking'; index: number; cls: string }
  | { type: 'alive' }
  | { type: 'reproducer'; index: number; cls: string; original: FuzzCase; shrunk: FuzzCase; detail?: string }
  | { type: 'finished' };

async function child(): Promise<void> {
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const checker = await Checker.create();
  process.once('message', async (start: ChildStart) => {
    const known = new Set(start.known);
    let lastBeat = 0;
    const heartbeat = () => {
      if (performance.now() - lastBeat > 500) {
        lastBeat = performance.now();
        process.send!({ type: 'alive' } satisfies ChildMessage);
      }
    };
    for (let i = start.from; i < start.to; i++) {
      const c = generateCase(start.seed, i);
      checker.stats = { eolCompared: 0, cliRuns: 0, refused: 0 };
      const t0 = performance.now();
      const problems = await checker.check(c);
      const ms = performance.now() - t0;
      await send({ type: 'done', index: i, kind: c.kind, ms, problems, stats: checker.stats });
      for (const p of problems.filter((x) => !known.has(x.cls))) {
        known.add(p.cls);
        await send({ type: 'shrinking', index: i, cls: p.cls });
        const shrunk = await shrink(checker, c, p.cls, start.minimizeMs, heartbeat);
        const detail = (await checker.check(shrunk)).find((x) => x.cls === p.cls)?.detail;
        await send({ type: 'reproducer', index: i, cls: p.cls, original: c, shrunk, detail });
      }
    }
    checker.dispose();
    await send({ type: 'finished' });
    process.disconnect();
  });
  await send({ type: 'ready' });
}

// ---- the parent ----------------------------------------------------------------------------------------

export interface ProblemReport {
  cls: string;
  count: number;
  /** First case that showed it, and its generator. */
  index: number;
  kind: string;
  detail: string;
  stack?: string;
  reproducer?: SavedReproducer;
  /** Sizes of the first failing input and of the shrunk one. */
  originalLength?: number;
  shrunkLength?: number;
}

export interface AnalysisFuzzResult {
  documents: number;
  seconds: number;
  byKind: Record<string, number>;
  /** Time spent per generator, seconds. */
  secondsByKind: Record<string, number>;
  eolCompared: number;
  cliRuns: number;
  /** Documents the analysis refused as too large or too costly to parse. */
  refused: number;
  /** Cases over one second, slowest first (at most 10). */
  slowest: { index: number; kind: string; ms: number }[];
  problems: ProblemReport[];
  hangs: number;
  workerRestarts: number;
  /** Highest resident set of the worker (VmHWM), MiB. */
  peakRssMiB: number;
}

export interface AnalysisFuzzOptions {
  seed: number;
  documents: number;
  /** First case (default 0): cases `from` to `from + documents - 1` run. */
  from?: number;
  /** A document that takes longer than this is a hang. */
  hangMs?: number;
  minimizeMs?: number;
  reproducerDir?: string;
  /** Progress lines (every ~10 s). */
  log?: (line: string) => void;
}

function procStatusKiB(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function runAnalysisFuzz(options: AnalysisFuzzOptions): Promise<AnalysisFuzzResult> {
  const hangMs = options.hangMs ?? 5000;
  const dir = options.reproducerDir ?? REPRODUCER_DIR;
  const t0 = performance.now();
  const result: AnalysisFuzzResult = {
    documents: 0,
    seconds: 0,
    byKind: {},
    secondsByKind: {},
    eolCompared: 0,
    cliRuns: 0,
    refused: 0,
    slowest: [],
    problems: [],
    hangs: 0,
    workerRestarts: 0,
    peakRssMiB: 0,
  };
  const reports = new Map<string, ProblemReport>();
  const note = (index: number, kind: string, p: Problem) => {
    const r = reports.get(p.cls);
    if (r) r.count++;
    else reports.set(p.cls, { cls: p.cls, count: 1, index, kind, detail: p.detail, stack: p.stack });
  };
  const save = (cls: string, original: FuzzCase, shrunk: FuzzCase, shrunkDetail?: string) => {
    const r = reports.get(cls)!;
    r.originalLength = original.text.length + (original.header?.length ?? 0);
    r.shrunkLength = shrunk.text.length + (shrunk.header?.length ?? 0);
    const meta = {
      kind: 'analysis',
      seed: options.seed,
      index: original.index,
      detail: shrunkDetail ?? r.detail,
      stack: r.stack,
      case: serialisable(shrunk),
      original: serialisable(original),
    };
    const inputs = [
      ...(original.btf ? [{ text: original.btf, ext: '.btf' }] : []),
      ...(shrunk.header !== undefined ? [{ text: shrunk.header, ext: '.lsm_hook_defs.h' }] : []),
      { text: shrunk.text, ext: '.bpf.c' },
    ];
    r.reproducer = saveReproducer(dir, 'analysis', cls, meta, ...inputs);
  };

  const first = options.from ?? 0;
  const end = first + options.documents;
  let next = first;
  let lastProgress = performance.now();
  while (next < end) {
    result.workerRestarts += next > first ? 1 : 0;
    const from = next;
    const outcome = await new Promise<{
      stoppedAt: number;
      why: 'finished' | 'hang' | 'died';
      detail: string;
      shrinking?: { index: number; cls: string };
    }>((resolve) => {
      const worker: ChildProcess = fork(__filename, ['--analysis-worker'], {
        serialization: 'advanced',
        execArgv: [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let lastMessage = performance.now();
      let ready = false;
      let busy = from;
      let shrinking: { index: number; cls: string } | undefined;
      let settled = false;
      const finish = (why: 'finished' | 'hang' | 'died', detail: string) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
        fs.rmSync(cliDirOf(worker.pid!), { recursive: true, force: true });
        resolve({ stoppedAt: busy, why, detail, shrinking });
      };
      const watchdog = setInterval(() => {
        const hwm = procStatusKiB(worker.pid!, 'VmHWM') / 1024;
        if (hwm > result.peakRssMiB) result.peakRssMiB = hwm;
        // Starting (loading the parser) is not a case's time; a worker that cannot start is a death.
        if (ready && performance.now() - lastMessage > hangMs) finish('hang', `no answer for ${hangMs} ms`);
        if (!ready && performance.now() - lastMessage > 60_000) finish('died', 'worker did not start within 60 s');
        if (options.log && performance.now() - lastProgress > 10_000) {
          lastProgress = performance.now();
          options.log(
            `analysis fuzz: ${result.documents}/${options.documents} documents, ${reports.size} problem classes, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
          );
        }
      }, 100);
      worker.on('message', (m: ChildMessage) => {
        lastMessage = performance.now();
        switch (m.type) {
          case 'ready':
            ready = true;
            worker.send({
              seed: options.seed,
              from,
              to: end,
              known: [...reports.keys()],
              minimizeMs: options.minimizeMs ?? 10_000,
            } satisfies ChildStart);
            break;
          case 'done':
            result.documents++;
            result.byKind[m.kind] = (result.byKind[m.kind] ?? 0) + 1;
            result.secondsByKind[m.kind] = (result.secondsByKind[m.kind] ?? 0) + m.ms / 1000;
            if (m.ms > 1000) result.slowest.push({ index: m.index, kind: m.kind, ms: Math.round(m.ms) });
            for (const p of m.problems) note(m.index, m.kind, p);
            result.eolCompared += m.stats.eolCompared;
            result.cliRuns += m.stats.cliRuns;
            result.refused += m.stats.refused;
            busy = m.index + 1;
            break;
          case 'shrinking':
            shrinking = { index: m.index, cls: m.cls };
            break;
          case 'reproducer':
            save(m.cls, m.original, m.shrunk, m.detail);
            shrinking = undefined;
            break;
          case 'finished':
            finish('finished', '');
            break;
          case 'alive':
            break;
        }
      });
      worker.on('exit', (code, signal) => finish('died', `worker exited (${signal ?? `code ${code}`})`));
    });
    if (outcome.shrinking) {
      // The child hung or died while shrinking: keep the unshrunk case.
      const c = generateCase(options.seed, outcome.shrinking.index);
      save(outcome.shrinking.cls, c, c);
      next = outcome.stoppedAt;
      continue;
    }
    if (outcome.why === 'finished' || outcome.stoppedAt >= end) break;
    // The case at stoppedAt hung or killed the worker: report it and go on after it.
    const c = generateCase(options.seed, outcome.stoppedAt);
    const cls = outcome.why === 'hang' ? `hang (${c.kind})` : `worker-died (${c.kind}): ${outcome.detail}`;
    if (outcome.why === 'hang') result.hangs++;
    result.documents++;
    result.byKind[c.kind] = (result.byKind[c.kind] ?? 0) + 1;
    const known = reports.has(cls);
    note(c.index, c.kind, { cls, detail: `case ${c.index}: ${outcome.detail}` });
    if (!known) save(cls, c, c);
    next = outcome.stoppedAt + 1;
  }
  result.problems = [...reports.values()].sort((a, b) => b.count - a.count);
  result.slowest = result.slowest.sort((a, b) => b.ms - a.ms).slice(0, 10);
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** A case as JSON (the BTF blob as base64). */
function serialisable(c: FuzzCase): object {
  return { ...c, btf: c.btf ? Buffer.from(c.btf).toString('base64') : undefined };
}

/** Replays a case saved by runAnalysisFuzz: the problems it shows now. */
export async function replayAnalysisCase(saved: { case: FuzzCase & { btf?: unknown } }): Promise<Problem[]> {
  const c: FuzzCase = {
    ...saved.case,
    btf: typeof saved.case.btf === 'string' ? new Uint8Array(Buffer.from(saved.case.btf, 'base64')) : undefined,
  };
  const checker = await Checker.create();
  try {
    return await checker.check(c);
  } finally {
    checker.dispose();
  }
}

if (process.argv.includes('--analysis-worker')) void child();
