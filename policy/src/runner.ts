// Runs policy test files: the file × kernel matrix (or one shard of it), on the local VMs of a pool
// (booted once per kernel, reset by snapshot between files, at most `jobs` at once) or on one real
// target over ssh. Every file's programs are detached when it ends, whatever happened.
import * as os from 'node:os';
import * as path from 'node:path';
import { TargetSession, type SshTargetSettings } from '../../engine/src';
import { KERNEL_SERIES } from '../../vm/src/kernels';
import { cacheDir } from '../../vm/src/paths';
import { runFile, type FileOutcome } from './fileRunner';
import { describeLockout, isToolVmSshConfig, lockoutRisks } from './lockoutGuard';
import type { FileRun, PolicyTestFile } from './model';
import type { RunEvents, RunRequest, RunSummary } from './runApi';
import { matrix, shardOf } from './shard';
import { VmPool } from './vmPool';

export interface RunnerOptions {
  /** The VMs to run on; when absent the runner makes one (jobs VMs at most) and stops it at the end. */
  pool?: VmPool;
  /** VMs running at once across all kernels (default: the number of cores). */
  jobs?: number;
  caseTimeoutMs?: number;
  /** Where the shipped loader and action helper are for a machine (a real target without them). */
  shipped?: { loader?: (machine: string) => string | undefined; actionHelper?: (machine: string) => string | undefined };
}

interface Pair {
  file: PolicyTestFile;
  kernel: string;
}

/** "6.12.38+deb13-amd64" → "6.12": the series that `expect_on` keys name. */
export function seriesOf(release: string): string {
  return /^(\d+\.\d+)/.exec(release)?.[1] ?? release;
}

export function kernelsFor(file: PolicyTestFile, request: Pick<RunRequest, 'kernels' | 'defaultKernels'>): string[] {
  return request.kernels ?? file.kernels ?? request.defaultKernels;
}

function errorRun(pair: Pair, message: string): FileRun {
  return {
    file: pair.file.file,
    kernel: pair.kernel,
    error: message,
    durationMs: 0,
    cases: pair.file.cases.map((c) => ({ name: c.name, pos: c.pos, status: 'error', messages: [message], output: '', durationMs: 0 })),
  };
}

function summarise(runs: FileRun[], infrastructureErrors: string[], t0: number): RunSummary {
  const cases = runs.flatMap((r) => r.cases);
  return {
    runs,
    problems: [],
    infrastructureErrors,
    passed: cases.filter((c) => c.status === 'passed').length,
    failed: cases.filter((c) => c.status === 'failed' || c.status === 'error').length,
    durationMs: Date.now() - t0,
  };
}

export async function runPolicyTests(request: RunRequest, events: RunEvents = {}, options: RunnerOptions = {}): Promise<RunSummary> {
  const t0 = Date.now();
  const runs: FileRun[] = [];
  const infrastructureErrors: string[] = [];
  const finished = (run: FileRun) => {
    runs.push(run);
    events.fileFinished?.(run);
  };

  if (request.target) {
    await runOnTarget(request, request.target, events, options, finished, infrastructureErrors);
    return summarise(runs, infrastructureErrors, t0);
  }

  let pairs: Pair[] = matrix(request.files, (f) => kernelsFor(f, request));
  if (request.shard) pairs = shardOf(pairs, request.shard.index, request.shard.count);
  const unknown = [...new Set(pairs.map((p) => p.kernel))].filter((k) => !(KERNEL_SERIES as readonly string[]).includes(k));
  for (const k of unknown) {
    infrastructureErrors.push(`no test VM for kernel ${k} (VM kernels: ${KERNEL_SERIES.join(', ')})`);
    for (const p of pairs.filter((q) => q.kernel === k)) finished(errorRun(p, infrastructureErrors[infrastructureErrors.length - 1]));
  }
  pairs = pairs.filter((p) => !unknown.includes(p.kernel));

  const jobs = Math.max(1, options.jobs ?? os.availableParallelism());
  const pool = options.pool ?? new VmPool({ maxVms: jobs, lifetimeSeconds: 3 * 3600, log: events.log });
  const brokenKernels = new Map<string, string>();
  const queue = [...pairs];

  /** Workers per kernel now, so idle workers spread over the kernels before doubling up on one. */
  const active = new Map<string, number>();
  /** The next pair: the kernel this worker's VM runs, else the kernel with the fewest workers and the most work left. */
  const next = (kernel: string | undefined): Pair | undefined => {
    let i = kernel ? queue.findIndex((p) => p.kernel === kernel) : -1;
    if (i < 0) {
      const left = new Map<string, number>();
      for (const p of queue) left.set(p.kernel, (left.get(p.kernel) ?? 0) + 1);
      const [best] = [...left.entries()].sort((a, b) => (active.get(a[0]) ?? 0) - (active.get(b[0]) ?? 0) || b[1] - a[1]);
      i = best ? queue.findIndex((p) => p.kernel === best[0]) : -1;
    }
    return i >= 0 ? queue.splice(i, 1)[0] : undefined;
  };
  const setActive = (kernel: string, delta: number) => active.set(kernel, (active.get(kernel) ?? 0) + delta);

  const worker = async (): Promise<void> => {
    let lease: Awaited<ReturnType<VmPool['acquire']>> | undefined;
    let used = false;
    try {
      for (let pair = next(undefined); pair; pair = next(lease?.kernel)) {
        if (request.signal?.aborted) return;
        const broken = brokenKernels.get(pair.kernel);
        if (broken) {
          finished(errorRun(pair, broken));
          continue;
        }
        if (lease && lease.kernel !== pair.kernel) {
          setActive(lease.kernel, -1);
          pool.markDirty(lease);
          pool.release(lease);
          lease = undefined;
        }
        if (!lease) {
          try {
            setActive(pair.kernel, 1);
            lease = await pool.acquire(pair.kernel, request.signal);
            used = false;
          } catch (err) {
            setActive(pair.kernel, -1);
            if (request.signal?.aborted) return;
            const message = `no test VM for kernel ${pair.kernel}: ${(err as Error).message}`;
            brokenKernels.set(pair.kernel, message);
            infrastructureErrors.push(message);
            finished(errorRun(pair, message));
            continue;
          }
        } else if (used) {
          await pool.reset(lease);
        }
        used = true;
        events.fileStarted?.(pair.file, pair.kernel);
        const outcome: FileOutcome = await runFile(pair.file, pair.kernel, lease.session, events, {
          signal: request.signal,
          caseTimeoutMs: options.caseTimeoutMs,
          only: request.only?.get(pair.file.file),
        }).catch((err: Error) => ({ ...errorRun(pair, err.message), targetLost: err.message }));
        outcome.release ??= lease.release;
        const { targetLost, ...run } = outcome;
        finished(run);
        if (targetLost) {
          events.log?.(`${lease.name}: ${targetLost}; resetting the VM`);
          await pool.reset(lease);
          used = false;
        }
      }
    } finally {
      if (lease) {
        setActive(lease.kernel, -1);
        pool.markDirty(lease);
        pool.release(lease);
      }
    }
  };

  try {
    const workers = Math.min(jobs, pairs.length);
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    if (!options.pool) await pool.dispose();
  }
  return summarise(runs, infrastructureErrors, t0);
}

/** Every file once on a real target, with the expectations of the kernel series it runs. */
async function runOnTarget(
  request: RunRequest,
  target: SshTargetSettings,
  events: RunEvents,
  options: RunnerOptions,
  finished: (run: FileRun) => void,
  infrastructureErrors: string[],
): Promise<void> {
  const where = target.destination;
  if (!isToolVmSshConfig(target.configFile) && request.allowLockout !== true) {
    // Asked before connecting: nothing reaches the target unless every program may go there.
    const risks = (await Promise.all([...new Set(request.files.map((f) => f.program))].map(lockoutRisks))).flat();
    const allowed = risks.length === 0 || (typeof request.allowLockout === 'function' && (await request.allowLockout(risks, where)));
    if (!allowed) {
      const message = `${describeLockout(risks, where)}\nRun it on a test VM, or allow it explicitly (bpf-lsm-test --allow-lockout).`;
      infrastructureErrors.push(message);
      for (const file of request.files) finished(errorRun({ file, kernel: 'target' }, message));
      return;
    }
  }
  const session = new TargetSession(target, {
    btfCache: path.join(cacheDir(), 'btf'),
    shippedLoader: options.shipped?.loader,
    shippedActionHelper: options.shipped?.actionHelper,
    log: { info: () => undefined, warn: (m) => events.log?.(m), error: (m) => events.log?.(m) },
  });
  try {
    let kernel: string;
    try {
      const report = await session.requireRunnable();
      kernel = seriesOf(report.kernelRelease);
      events.log?.(`${session.label}: kernel ${report.kernelRelease}`);
    } catch (err) {
      const message = `target ${session.label}: ${(err as Error).message}`;
      infrastructureErrors.push(message);
      for (const file of request.files) finished(errorRun({ file, kernel: 'target' }, message));
      return;
    }
    let files = request.files;
    if (request.shard)
      files = shardOf(
        matrix(files, () => [kernel]),
        request.shard.index,
        request.shard.count,
      ).map((p) => p.file);
    for (const file of files) {
      if (request.signal?.aborted) return;
      events.fileStarted?.(file, kernel);
      const { targetLost, ...run } = await runFile(file, kernel, session, events, {
        signal: request.signal,
        caseTimeoutMs: options.caseTimeoutMs,
        only: request.only?.get(file.file),
      });
      finished(run);
      if (targetLost) {
        infrastructureErrors.push(`${session.label}: ${targetLost}; it cannot be reset remotely, so the run stops here`);
        return;
      }
    }
  } finally {
    await session.close();
  }
}
