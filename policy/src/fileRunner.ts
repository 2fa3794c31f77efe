// Runs one test file on one target: compile against the target's BTF, setup, attach, the cases in order
// on that one attachment, detach, teardown. A case that leaves the target silent fails with the reason,
// and so do the cases after it; the caller then resets the VM (`targetLost`).
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { AttachError, CompileError, shellJoin, TargetError, TargetSession } from '../../engine/src';
import { actionArgv, parseActionResult } from '../../engine/src/actionHelper';
import { caseScript, CaseScriptError, parseCaseOutput, traceOfCase } from './caseScript';
import { describeAction } from './describeAction';
import { evaluate, expectationFor } from './expectations';
import type { CaseResult, FileRun, Observed, PolicyCase, PolicyTestFile } from './model';
import type { RunEvents } from './runApi';

export interface FileRunOptions {
  signal?: AbortSignal;
  /** One case's limit (the action and its bookkeeping). */
  caseTimeoutMs?: number;
  /** Only these case names. */
  only?: Set<string>;
}

export interface FileOutcome extends FileRun {
  /** The target stopped answering: it must be reset (VM) before anything else runs on it. */
  targetLost?: string;
}

const ATTACH_KEY = 'bpf-lsm-test';

/** Whether the target still runs new commands over ssh (a program may deny what ssh needs). */
export async function targetAnswers(session: TargetSession): Promise<boolean> {
  try {
    const r = await session.exec(['echo', 'bpf-lsm-alive'], { timeoutMs: 15_000 });
    return r.stdout.includes('bpf-lsm-alive');
  } catch {
    return false;
  }
}

function errorResult(c: PolicyCase, message: string): CaseResult {
  return { name: c.name, pos: c.pos, status: 'error', messages: [message], output: '', durationMs: 0 };
}

export async function runFile(
  file: PolicyTestFile,
  kernel: string,
  session: TargetSession,
  events: RunEvents,
  options: FileRunOptions = {},
): Promise<FileOutcome> {
  const t0 = Date.now();
  const cases = file.cases.filter((c) => !options.only || options.only.has(c.name));
  const run: FileOutcome = { file: file.file, kernel, cases: [], durationMs: 0 };
  const finish = (): FileOutcome => ({ ...run, durationMs: Date.now() - t0 });
  const failAll = (message: string, from = 0): void => {
    for (const c of cases.slice(from)) {
      const r = errorResult(c, message);
      run.cases.push(r);
      events.caseFinished?.(file, kernel, r);
    }
  };

  let tracefs: string | null;
  let compiledObject: string;
  try {
    const report = await session.requireRunnable();
    run.release = report.kernelRelease;
    tracefs = report.tracefs;
    if (!report.bpfActive) {
      run.error = `bpf is not among the active LSMs of ${session.label} (${report.lsms.join(',')}): nothing would be enforced; boot it with ${report.suggestedLsmParameter}`;
      failAll(run.error);
      return finish();
    }
    compiledObject = (await session.compile(file.program)).object;
  } catch (err) {
    if (err instanceof CompileError) {
      events.compileFailed?.(file, kernel, err.compiled);
      const first = err.compiled.messages.find((m) => m.severity === 'error') ?? err.compiled.messages[0];
      run.error = `${path.basename(file.program)} does not compile${first ? `: ${first.line}:${first.column}: ${first.message}` : ''}`;
    } else {
      run.error = (err as Error).message;
    }
    failAll(run.error);
    return finish();
  }

  if (file.setup) {
    const r = await session.exec(['sh', '-c', file.setup], { privileged: true, timeoutMs: 120_000, signal: options.signal });
    if (r.exitCode !== 0) {
      run.error = `setup failed (exit ${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
      failAll(run.error);
      return finish();
    }
  }

  // The cases' output files; an empty trace buffer, which the cases' marks divide among them.
  const workDir = `/tmp/bpf-lsm-test-${randomBytes(6).toString('hex')}`;
  const clearTrace = tracefs ? ` && : > ${shellJoin([`${tracefs}/trace`])}` : '';
  await session.check(['sh', '-c', `mkdir -p ${shellJoin([workDir])}${clearTrace}`], { privileged: true });

  let load: Observed['load'] = { loaded: true };
  let attachedNames = '';
  try {
    const attached = await session.attachObject(compiledObject, { key: ATTACH_KEY, name: path.basename(file.program) });
    attachedNames = attached.attached.map((p) => `${p.name} (${p.section})`).join(', ');
  } catch (err) {
    if (!(err instanceof AttachError)) throw err;
    load = { loaded: false, verifierLog: err.failure.log, message: err.failure.firstError };
  }

  const pending: PendingTrace[] = [];
  try {
    const helper = load.loaded && cases.some((c) => c.action && c.action.kind !== 'run') ? await session.actionHelper() : '';
    for (let i = 0; i < cases.length; i++) {
      if (options.signal?.aborted) {
        failAll('cancelled', i);
        break;
      }
      const c = cases[i];
      events.caseStarted?.(file, kernel, c.name);
      const result = await runCase(c, kernel, session, {
        load,
        helper,
        tracefs,
        workDir,
        pending,
        timeoutMs: options.caseTimeoutMs ?? 60_000,
      });
      if (result === 'lost') {
        run.targetLost =
          `the target stopped answering after attaching ${attachedNames || path.basename(file.program)}` +
          ': it probably denies what ssh needs (exec of the login shell, or opening what it reads)';
        failAll(run.targetLost, i);
        break;
      }
      run.cases.push(result);
      events.caseFinished?.(file, kernel, result);
    }
  } finally {
    if (run.targetLost) {
      // Its loader cannot be asked to detach: the VM reset (or the dropped connection) ends it.
      session.closeNow();
    } else {
      await session.detach(ATTACH_KEY);
      if (tracefs && pending.length > 0) await completeTraces(session, tracefs, pending);
      await session.exec(['rm', '-rf', workDir], { privileged: true }).catch(() => undefined);
      if (file.teardown) {
        const r = await session.exec(['sh', '-c', file.teardown], { privileged: true, timeoutMs: 120_000 }).catch((e: Error) => e);
        if (r instanceof Error || r.exitCode !== 0)
          events.log?.(`${path.basename(file.file)} [${kernel}]: teardown failed: ${r instanceof Error ? r.message : r.stderr.trim()}`);
      }
    }
  }
  return finish();
}

/** A case that did not read its trace: its output gets the lines when the file's cases are over. */
interface PendingTrace {
  result: CaseResult;
  nonce: string;
  render: (trace: string[]) => string;
}

/** Reads the trace buffer once and puts each pending case's lines in its output. */
async function completeTraces(session: TargetSession, tracefs: string, pending: PendingTrace[]): Promise<void> {
  const r = await session.exec(['cat', `${tracefs}/trace`], { privileged: true, timeoutMs: 30_000 }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return;
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  for (const p of pending) p.result.output = p.render(traceOfCase(lines, p.nonce).lines);
}

interface CaseContext {
  load: Observed['load'];
  helper: string;
  tracefs: string | null;
  workDir: string;
  pending: PendingTrace[];
  timeoutMs: number;
}

async function runCase(c: PolicyCase, kernel: string, session: TargetSession, ctx: CaseContext): Promise<CaseResult | 'lost'> {
  const t0 = Date.now();
  const expect = expectationFor(c, kernel);
  const done = (status: CaseResult['status'], messages: string[], output: string): CaseResult => ({
    name: c.name,
    pos: c.pos,
    status,
    messages,
    output,
    durationMs: Date.now() - t0,
  });
  if (!expect) return done('skipped', [`no expectation for kernel ${kernel}`], '');
  if (!ctx.load.loaded || !c.action) {
    const messages = evaluate(expect, { load: ctx.load, trace: [], kernelWarnings: [] });
    return done(
      messages.length === 0 ? 'passed' : 'failed',
      messages,
      ctx.load.loaded ? '' : `the program did not load: ${ctx.load.message}`,
    );
  }

  const action = c.action;
  const head = [`$ ${describeAction(action)}`];
  const fail = async (err: unknown): Promise<CaseResult | 'lost'> => {
    if (!(await targetAnswers(session))) return 'lost';
    const why = err instanceof CaseScriptError || err instanceof TargetError ? err.message : (err as Error).message;
    return done('error', [`the case could not run: ${why}`], head.join('\n'));
  };

  let parsed: { kernelWarnings: string[]; trace?: string[] };
  let nonce: string;
  const observed: Observed = { load: ctx.load, trace: [], kernelWarnings: [] };
  if (action.kind !== 'run' && ctx.tracefs && expect.kernel_warning === undefined) {
    // The common case: the helper marks the case itself, one process and no shell script around it.
    nonce = `@@bpf-lsm-test-${randomBytes(8).toString('hex')}`;
    const argv = actionArgv(action, ctx.helper, { nonce, tracefs: ctx.tracefs, readTrace: expect.trace !== undefined });
    try {
      const r = await session.exec(argv, { privileged: true, timeoutMs: ctx.timeoutMs });
      const result = parseActionResult(r.stdout, r.stderr, r.exitCode);
      observed.errno = result.errno;
      if (result.exit !== undefined) observed.exit = result.exit;
      head.push(resultLine(result.errno));
      parsed = { kernelWarnings: result.tainted ? await kernelWarnings(session) : [], trace: result.trace };
    } catch (err) {
      return fail(err);
    }
  } else {
    const argv = action.kind === 'run' ? ['sh', '-c', action.command] : actionArgv(action, ctx.helper);
    const script = caseScript(argv, {
      tracefs: ctx.tracefs,
      workDir: ctx.workDir,
      kernelLog: expect.kernel_warning !== undefined,
      readTrace: expect.trace !== undefined,
    });
    nonce = script.nonce;
    let out;
    try {
      const r = await session.exec([script.script], { script: true, privileged: true, timeoutMs: ctx.timeoutMs });
      out = parseCaseOutput(r.stdout, nonce);
    } catch (err) {
      return fail(err);
    }
    parsed = out;
    if (action.kind === 'run') {
      observed.exit = out.exitCode;
      observed.stdout = out.stdout;
      observed.stderr = out.stderr;
      head.push(`exit ${out.exitCode}`);
      if (out.stdout) head.push(`stdout: ${out.stdout}`);
      if (out.stderr) head.push(`stderr: ${out.stderr}`);
    } else {
      try {
        const r = parseActionResult(out.stdout, out.stderr, out.exitCode);
        observed.errno = r.errno;
        if (r.exit !== undefined) observed.exit = r.exit;
        head.push(resultLine(r.errno));
      } catch (err) {
        return done('error', [(err as Error).message], head.join('\n'));
      }
    }
  }
  observed.kernelWarnings = parsed.kernelWarnings;
  const warnings = parsed.kernelWarnings.length > 0 ? ['kernel warnings:', ...parsed.kernelWarnings.map((l) => `  ${l}`)] : [];
  const render = (trace: string[]) =>
    [...head, ...(trace.length > 0 ? ['trace:', ...trace.map((l) => `  ${l.trim()}`)] : []), ...warnings].join('\n');

  observed.trace = parsed.trace ?? [];
  const messages = evaluate(expect, observed);
  const result = done(messages.length === 0 ? 'passed' : 'failed', messages, render(observed.trace));
  if (!parsed.trace && ctx.tracefs) ctx.pending.push({ result, nonce, render });
  return result;
}

function resultLine(errno: { code: number; name: string }): string {
  return errno.code === 0 ? 'succeeded' : `failed: ${errno.name} (${errno.code})`;
}

/** The kernel's warnings so far (read when the taint changed during a case: the first WARN taints it). */
async function kernelWarnings(session: TargetSession): Promise<string[]> {
  const r = await session.exec(['sh', '-c', "dmesg | grep -E 'WARNING|BUG:|Oops|Call Trace'"], { privileged: true, timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}
