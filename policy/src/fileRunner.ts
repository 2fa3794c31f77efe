// Runs one test file on one target: compile against the target's BTF, setup, attach, the cases in order
// on that one attachment, detach, teardown. A case that leaves the target silent fails with the reason,
// and so do the cases after it; the caller then resets the VM (`targetLost`).
import * as path from 'node:path';
import { AttachError, CompileError, TargetError, TargetSession } from '../../engine/src';
import { actionArgv, parseActionResult } from '../../engine/src/actionHelper';
import { caseScript, CaseScriptError, parseCaseOutput } from './caseScript';
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

  let tracefs: string | null = null;
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

  let load: Observed['load'] = { loaded: true };
  let attachedNames = '';
  try {
    const attached = await session.attachObject(compiledObject, { key: ATTACH_KEY, name: path.basename(file.program) });
    attachedNames = attached.attached.map((p) => `${p.name} (${p.section})`).join(', ');
  } catch (err) {
    if (!(err instanceof AttachError)) throw err;
    load = { loaded: false, verifierLog: err.failure.log, message: err.failure.firstError };
  }

  try {
    const helper = load.loaded && cases.some((c) => c.action && c.action.kind !== 'run') ? await session.actionHelper() : '';
    for (let i = 0; i < cases.length; i++) {
      if (options.signal?.aborted) {
        failAll('cancelled', i);
        break;
      }
      const c = cases[i];
      events.caseStarted?.(file, kernel, c.name);
      const result = await runCase(c, kernel, session, { load, helper, tracefs, timeoutMs: options.caseTimeoutMs ?? 60_000 });
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
      if (file.teardown) {
        const r = await session.exec(['sh', '-c', file.teardown], { privileged: true, timeoutMs: 120_000 }).catch((e: Error) => e);
        if (r instanceof Error || r.exitCode !== 0)
          events.log?.(`${path.basename(file.file)} [${kernel}]: teardown failed: ${r instanceof Error ? r.message : r.stderr.trim()}`);
      }
    }
  }
  return finish();
}

interface CaseContext {
  load: Observed['load'];
  helper: string;
  tracefs: string | null;
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

  const observed: Observed = { load: ctx.load, trace: [], kernelWarnings: [] };
  const out: string[] = [];
  if (ctx.load.loaded && c.action) {
    const argv = c.action.kind === 'run' ? ['sh', '-c', c.action.command] : actionArgv(c.action, ctx.helper);
    out.push(`$ ${describeAction(c.action)}`);
    const { script, nonce } = caseScript(argv, ctx.tracefs);
    let parsed;
    try {
      const r = await session.exec(['sh', '-s'], { input: script, privileged: true, timeoutMs: ctx.timeoutMs });
      parsed = parseCaseOutput(r.stdout, nonce);
    } catch (err) {
      if (!(await targetAnswers(session))) return 'lost';
      const why = err instanceof CaseScriptError || err instanceof TargetError ? err.message : (err as Error).message;
      return done('error', [`the case could not run: ${why}`], out.join('\n'));
    }
    observed.trace = parsed.trace;
    observed.kernelWarnings = parsed.kernelWarnings;
    if (c.action.kind === 'run') {
      observed.exit = parsed.exitCode;
      observed.stdout = parsed.stdout;
      observed.stderr = parsed.stderr;
      out.push(`exit ${parsed.exitCode}`);
      if (parsed.stdout) out.push(`stdout: ${parsed.stdout}`);
      if (parsed.stderr) out.push(`stderr: ${parsed.stderr}`);
    } else {
      try {
        const r = parseActionResult(parsed.stdout, parsed.stderr, parsed.exitCode);
        observed.errno = r.errno;
        if (r.exit !== undefined) observed.exit = r.exit;
        out.push(r.errno.code === 0 ? 'succeeded' : `failed: ${r.errno.name} (${r.errno.code})`);
      } catch (err) {
        return done('error', [(err as Error).message], out.join('\n'));
      }
    }
    if (parsed.trace.length > 0) out.push('trace:', ...parsed.trace.map((l) => `  ${l.trim()}`));
    if (parsed.kernelWarnings.length > 0) out.push('kernel warnings:', ...parsed.kernelWarnings.map((l) => `  ${l}`));
  } else if (!ctx.load.loaded) {
    out.push(`the program did not load: ${ctx.load.message}`);
  }
  const messages = evaluate(expect, observed);
  return done(messages.length === 0 ? 'passed' : 'failed', messages, out.join('\n'));
}
