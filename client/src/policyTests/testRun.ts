// One run of policy tests from the Testing view (or the command): the items a TestRunRequest selects
// become the runner's RunRequests, and what the runner reports becomes the TestRun's states, messages
// (expected vs actual, at the case's line) and output, with clang's messages in Problems.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompiledObject, SshTargetSettings } from '../../../engine/src';
import type { CaseResult, FileProblem, FileRun, PolicyTestFile } from '../../../policy/src/model';
import type { RunEvents, RunRequest, RunSummary } from '../../../policy/src/runApi';
import { runPolicyTests, type RunnerOptions } from '../../../policy/src/runner';
import { compilerDiagnostic } from '../engineAdapters';
import { confirmLockout } from '../lockoutPrompt';
import { TARGET_ITEM_ID, type PolicyTestTree } from './testTree';
import type { TestVms } from './testVms';

/** What a profile runs on: the files' own (or default) kernels, one series, every series, or the target. */
export type RunPlace = { kind: 'default' } | { kind: 'kernels'; kernels: string[] } | { kind: 'target'; target: SshTargetSettings };

/** A run's outcome as the command returns it and the API keeps it: the runner's summary, per file × kernel. */
export interface PolicyTestRunResult extends RunSummary {
  /** The run was cancelled before it finished. */
  cancelled: boolean;
  /** The ssh destination, when the run was on a real target rather than the test VMs. */
  target?: string;
}

export interface RunContext {
  tree: PolicyTestTree;
  vms: TestVms;
  /** Problems: clang's messages when a tested program does not compile. */
  diagnostics: vscode.DiagnosticCollection;
  /** Per program, the files its compile messages are about (the program, headers it includes). */
  compileProblems: Map<string, Set<string>>;
  log: vscode.LogOutputChannel;
  /** The kernels of a file that names none. */
  defaultKernels(file: PolicyTestFile): string[];
  shipped: RunnerOptions['shipped'];
}

/** Per selected file: its cases, each on the profile's kernels or on the kernels whose items were picked. */
type Selection = Map<string, { file: PolicyTestFile; cases: Map<string, 'profile' | Set<string>> }>;

/** One RunRequest's worth: a file appears once per request, with the kernels and cases it runs. */
interface Batch {
  files: PolicyTestFile[];
  only: Map<string, Set<string>>;
}

const key = (...parts: string[]) => parts.join('\0');

function selectItems(ctx: RunContext, request: vscode.TestRunRequest, kernelsOf: (f: PolicyTestFile) => string[]) {
  const selection: Selection = new Map();
  const problems: FileProblem[] = [];
  const malformed = new Set<string>();
  const include = request.include ?? ctx.tree.files().map((e) => e.item);
  for (const item of include) {
    const d = ctx.tree.dataOf(item);
    const entry = d && ctx.tree.entry(d.path);
    if (!d || !entry) continue;
    if (!entry.file) {
      if (!malformed.has(entry.uri.fsPath)) problems.push(...entry.problems);
      malformed.add(entry.uri.fsPath);
      continue;
    }
    const sel = selection.get(entry.file.file) ?? { file: entry.file, cases: new Map() };
    selection.set(entry.file.file, sel);
    if (d.kind === 'file') for (const c of entry.file.cases) sel.cases.set(c.name, 'profile');
    else if (d.kind === 'case') sel.cases.set(d.caseName, 'profile');
    else {
      const now = sel.cases.get(d.caseName);
      if (now !== 'profile') sel.cases.set(d.caseName, new Set([...(now ?? []), d.kernel]));
    }
  }
  for (const item of request.exclude ?? []) {
    const d = ctx.tree.dataOf(item);
    const sel = d && selection.get(d.path);
    if (!d || !sel) continue;
    if (d.kind === 'file') selection.delete(d.path);
    else if (d.kind === 'case') sel.cases.delete(d.caseName);
    else {
      const now = sel.cases.get(d.caseName);
      const left = new Set(now === 'profile' ? kernelsOf(sel.file) : now);
      left.delete(d.kernel);
      if (left.size > 0) sel.cases.set(d.caseName, left);
      else sel.cases.delete(d.caseName);
    }
  }
  for (const [p, sel] of selection) if (sel.cases.size === 0) selection.delete(p);
  return { selection, problems };
}

/**
 * The RunRequests for a selection on the VMs: each file with its kernels made explicit, split where its
 * cases differ per kernel (case A on 6.1 only, case B on both), one part of each file per request.
 */
function planOnVms(selection: Selection, kernelsOf: (f: PolicyTestFile) => string[]): Batch[] {
  const batches: Batch[] = [];
  for (const { file, cases } of selection.values()) {
    const byKernel = new Map<string, Set<string>>();
    for (const [name, kernels] of cases) {
      for (const k of kernels === 'profile' ? kernelsOf(file) : kernels) {
        const set = byKernel.get(k) ?? new Set<string>();
        set.add(name);
        byKernel.set(k, set);
      }
    }
    const groups = new Map<string, { cases: Set<string>; kernels: string[] }>();
    for (const [kernel, names] of byKernel) {
      const k = key(...[...names].sort());
      const g = groups.get(k) ?? { cases: names, kernels: [] };
      g.kernels.push(kernel);
      groups.set(k, g);
    }
    [...groups.values()].forEach((g, i) => {
      batches[i] ??= { files: [], only: new Map() };
      batches[i].files.push({ ...file, kernels: g.kernels });
      if (g.cases.size < file.cases.length) batches[i].only.set(file.file, g.cases);
    });
  }
  return batches;
}

/** On a real target each file runs once, on whatever kernel it runs. */
function planOnTarget(selection: Selection): Batch[] {
  const batch: Batch = { files: [], only: new Map() };
  for (const { file, cases } of selection.values()) {
    batch.files.push(file);
    if (cases.size < file.cases.length) batch.only.set(file.file, new Set(cases.keys()));
  }
  return batch.files.length > 0 ? [batch] : [];
}

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/**
 * A runner message as a TestMessage at the case's line. "expected errno EPERM (1), got success" also
 * gets its two values as expected and actual output (the peek's diff); a message whose expected side is
 * a phrase ("expected stdout to match /x/, got: ...") stays a sentence, which reads better than a diff.
 */
export function testMessage(text: string, location: vscode.Location): vscode.TestMessage {
  const m = /^expected (.+?),? got:? (.+)$/s.exec(text);
  const message = new vscode.TestMessage(text);
  if (m && !/\bto\b|\bmatching\b/.test(m[1])) {
    message.expectedOutput = m[1];
    message.actualOutput = m[2];
  }
  message.location = location;
  return message;
}

/** Turns the runner's events into the TestRun's states and output. */
class RunReporter {
  private readonly reported = new Set<string>();
  /** clang's messages of this run, per file they are about. */
  private readonly compileMessages = new Map<string, Map<string, vscode.Diagnostic>>();

  constructor(
    private readonly ctx: RunContext,
    private readonly run: vscode.TestRun,
    private readonly place: RunPlace,
    private readonly signal: AbortSignal,
  ) {}

  private itemFor(file: string, caseName: string, kernel: string): vscode.TestItem | undefined {
    if (this.place.kind === 'target')
      return this.ctx.tree.kernelItem(file, caseName, TARGET_ITEM_ID, `on ${this.place.target.destination}`);
    return this.ctx.tree.kernelItem(file, caseName, kernel);
  }

  enqueue(batch: Batch): void {
    for (const file of batch.files) {
      const only = batch.only.get(file.file);
      for (const c of file.cases) {
        if (only && !only.has(c.name)) continue;
        for (const k of this.place.kind === 'target' ? [TARGET_ITEM_ID] : (file.kernels ?? [])) {
          const item = this.itemFor(file.file, c.name, k);
          if (item) this.run.enqueued(item);
        }
      }
    }
  }

  events(batch: Batch): RunEvents {
    return {
      fileStarted: (file, kernel) =>
        this.run.appendOutput(`\r\n=== ${vscode.workspace.asRelativePath(file.file)} on ${this.kernelLabel(kernel)}\r\n`),
      caseStarted: (file, kernel, name) => {
        const item = this.itemFor(file.file, name, kernel);
        if (item) this.run.started(item);
      },
      caseFinished: (file, kernel, result) => this.report(file.file, kernel, result),
      fileFinished: (run) => this.fileFinished(run, batch.only.get(run.file)),
      compileFailed: (file, _kernel, compiled) => this.compileFailed(file, compiled),
      log: (line) => {
        this.ctx.log.info(`policy tests: ${line}`);
        this.run.appendOutput(`# ${crlf(line)}\r\n`);
      },
    };
  }

  private kernelLabel(kernel: string): string {
    return this.place.kind === 'target' ? `${this.place.target.destination} (kernel ${kernel})` : `kernel ${kernel}`;
  }

  private fileFinished(run: FileRun, only: Set<string> | undefined): void {
    const entry = this.ctx.tree.entry(run.file);
    if (run.release && entry) {
      for (const c of run.cases) {
        const item = this.itemFor(run.file, c.name, run.kernel);
        if (item) item.description = run.release;
      }
    }
    if (run.error) this.run.appendOutput(`${path.basename(run.file)} on ${this.kernelLabel(run.kernel)}: ${crlf(run.error)}\r\n`);
    // A file that never started (no VM for its kernel, the target unreachable) reports its cases only here.
    for (const c of run.cases) if (!only || only.has(c.name)) this.report(run.file, run.kernel, c);
  }

  private report(file: string, kernel: string, result: CaseResult): void {
    const k = key(file, kernel, result.name);
    if (this.reported.has(k)) return;
    this.reported.add(k);
    const item = this.itemFor(file, result.name, kernel);
    if (!item?.uri) return;
    const location = new vscode.Location(
      item.uri,
      new vscode.Position(Math.max(0, result.pos.line - 1), Math.max(0, result.pos.column - 1)),
    );
    const mark = { passed: 'ok  ', failed: 'FAIL', error: 'ERR ', skipped: 'skip' }[result.status];
    this.run.appendOutput(`${mark} ${result.name} (${result.durationMs} ms)\r\n`, undefined, item);
    // What the case did and saw, at its line (the editor shows it there, after the case's name).
    const lines = result.output.split('\n').filter(Boolean);
    if (result.status !== 'passed') lines.push(...result.messages);
    if (lines.length > 0) this.run.appendOutput(`${crlf(lines.map((l) => `     ${l}`).join('\n'))}\r\n`, location, item);
    const messages = () => result.messages.map((m) => testMessage(m, location));
    switch (result.status) {
      case 'passed':
        this.run.passed(item, result.durationMs);
        break;
      case 'failed':
        this.run.failed(item, messages(), result.durationMs);
        break;
      case 'skipped':
        this.run.skipped(item);
        break;
      case 'error':
        if (this.signal.aborted) this.run.skipped(item);
        else this.run.errored(item, messages(), result.durationMs);
        break;
    }
  }

  private compileFailed(file: PolicyTestFile, compiled: CompiledObject): void {
    for (const m of compiled.messages) {
      if (m.severity === 'note') continue;
      const target = path.resolve(path.dirname(file.program), m.file);
      const forFile = this.compileMessages.get(target) ?? new Map<string, vscode.Diagnostic>();
      this.compileMessages.set(target, forFile);
      const d = compilerDiagnostic(m, 'clang (policy test)');
      // Each kernel compiles the program again: the same message once.
      forFile.set(key(String(m.line), String(m.column), m.message), d);
      this.ctx.diagnostics.set(vscode.Uri.file(target), [...forFile.values()]);
      const files = this.ctx.compileProblems.get(file.program) ?? new Set<string>();
      this.ctx.compileProblems.set(file.program, files.add(target));
    }
  }
}

/** Clears clang's messages that earlier runs left for these programs: they are compiled again now. */
export function clearCompileProblems(ctx: RunContext, programs: string[]): void {
  for (const p of programs) {
    for (const f of [p, ...(ctx.compileProblems.get(p) ?? [])]) ctx.diagnostics.delete(vscode.Uri.file(f));
    ctx.compileProblems.delete(p);
  }
}

/** Runs what `request` selects in `run` (which it ends), on `place`; resolves with the summary. */
export async function runTestRequest(
  ctx: RunContext,
  request: vscode.TestRunRequest,
  run: vscode.TestRun,
  place: RunPlace,
  token: vscode.CancellationToken,
): Promise<PolicyTestRunResult> {
  const t0 = Date.now();
  const abort = new AbortController();
  const onCancel = token.onCancellationRequested(() => abort.abort());
  const kernelsOf = (f: PolicyTestFile) =>
    place.kind === 'kernels' ? place.kernels : place.kind === 'default' ? (f.kernels ?? ctx.defaultKernels(f)) : [];
  const result: PolicyTestRunResult = {
    runs: [],
    problems: [],
    infrastructureErrors: [],
    passed: 0,
    failed: 0,
    durationMs: 0,
    cancelled: false,
    target: place.kind === 'target' ? place.target.destination : undefined,
  };
  try {
    const { selection, problems } = selectItems(ctx, request, kernelsOf);
    result.problems = problems;
    for (const p of problems) run.appendOutput(`${crlf(`${p.file}:${p.line}:${p.column}: error: ${p.message}`)}\r\n`);
    const batches = place.kind === 'target' ? planOnTarget(selection) : planOnVms(selection, kernelsOf);
    const reporter = new RunReporter(ctx, run, place, abort.signal);
    for (const b of batches) reporter.enqueue(b);
    const programs = [...new Set([...selection.values()].map((s) => s.file.program))];
    clearCompileProblems(ctx, programs);
    for (const batch of batches) {
      if (abort.signal.aborted) break;
      const runRequest: RunRequest = { files: batch.files, defaultKernels: [], only: batch.only, signal: abort.signal };
      const options: RunnerOptions = { shipped: ctx.shipped };
      if (place.kind === 'target') {
        runRequest.target = place.target;
        runRequest.allowLockout = confirmLockout;
      } else {
        options.pool = await ctx.vms.acquirePool();
        options.jobs = ctx.vms.maxVms();
      }
      const summary = await runPolicyTests(runRequest, reporter.events(batch), options);
      for (const r of summary.runs) {
        const only = batch.only.get(r.file);
        result.runs.push(only ? { ...r, cases: r.cases.filter((c) => only.has(c.name)) } : r);
      }
      result.infrastructureErrors.push(...summary.infrastructureErrors);
    }
  } finally {
    onCancel.dispose();
    const cases = result.runs.flatMap((r) => r.cases);
    result.passed = cases.filter((c) => c.status === 'passed').length;
    result.failed = cases.filter((c) => c.status === 'failed' || c.status === 'error').length;
    result.cancelled = abort.signal.aborted;
    result.durationMs = Date.now() - t0;
    for (const e of result.infrastructureErrors) {
      ctx.log.error(`policy tests: ${e}`);
      run.appendOutput(`error: ${crlf(e)}\r\n`);
    }
    run.appendOutput(
      `\r\n${result.passed} passed, ${result.failed} failed${result.cancelled ? ' (cancelled)' : ''} in ${(result.durationMs / 1000).toFixed(1)} s\r\n`,
    );
    run.end();
  }
  return result;
}
