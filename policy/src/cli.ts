// bpf-lsm-test: runs *.lsmtest.yaml policy tests on the local test VMs (or a real target over ssh).
// Exit status: 0 every case passed, 1 a case failed, 2 usage, malformed files or infrastructure errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../server/src/config/projectConfig';
import type { CaseResult, FileProblem, FileRun, PolicyTestFile } from './model';
import { reportJunit } from './reporters/junit';
import { reportSpec } from './reporters/spec';
import { reportTap } from './reporters/tap';
import type { RunSummary } from './runApi';
import { runPolicyTests } from './runner';
import { parseShard } from './shard';
import { configuredKernels, defaultTestKernels, parseKernelList } from './testKernels';
import { findPolicyTestFiles, loadPolicyTestFile } from './testFile';
import { VmPool } from './vmPool';

const USAGE = `usage: bpf-lsm-test [--kernel 6.1,6.12|all] [--target DEST] [--reporter spec|tap|junit] [--output FILE]
                    [--shard K/N] [-j N] [PATH...]

  PATH               test files (*.lsmtest.yaml) or folders to search (default: the current folder)
  --kernel LIST      test-VM kernel series to run on, overriding the files' own 'kernels';
                     default: the files' kernels, else test.kernels of bpf-lsm.config.json, else every built VM
  --target DEST      run on this ssh destination instead of local VMs (setup and teardown run there too)
  --ssh-config FILE  an ssh_config for --target
  --allow-lockout    attach to --target even a program that denies on every path (always-denies);
                     without it such a run stops before connecting (exit 2). Test VMs need no flag.
  --reporter NAME    spec (default), tap or junit
  --output FILE      write the report to FILE instead of standard output
  --shard K/N        run the K-th of N deterministic parts of the file x kernel matrix
  -j N               VMs running at once across all kernels (default: the number of cores)

Exit status: 0 all passed, 1 a case failed, 2 usage, malformed test files or infrastructure errors.`;

class UsageError extends Error {}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const REPORTERS = { spec: reportSpec, tap: reportTap, junit: reportJunit } as const;

function progressLine(file: PolicyTestFile, kernel: string, r: CaseResult): string {
  const mark = r.status === 'passed' ? 'ok  ' : r.status === 'skipped' ? 'skip' : 'FAIL';
  const head = `${mark} ${path.basename(file.file)} [${kernel}] ${r.name} (${r.durationMs} ms)`;
  return r.status === 'failed' || r.status === 'error' ? [head, ...r.messages.map((m) => `       ${m}`)].join('\n') : head;
}

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: 'string' },
        target: { type: 'string' },
        'ssh-config': { type: 'string' },
        'allow-lockout': { type: 'boolean' },
        reporter: { type: 'string', default: 'spec' },
        output: { type: 'string' },
        shard: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (!Object.hasOwn(REPORTERS, values.reporter!))
      throw new UsageError(`--reporter must be spec, tap or junit, not '${values.reporter}'`);
    if (values.jobs !== undefined && !/^[1-9]\d*$/.test(values.jobs))
      throw new UsageError(`-j needs a positive number, not '${values.jobs}'`);
    if (values.target !== undefined && values.kernel !== undefined)
      throw new UsageError('--kernel chooses local VMs; with --target the kernel is the one the target runs');
  } catch (e) {
    err.write(`bpf-lsm-test: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const roots = positionals.length > 0 ? positionals : ['.'];
  let kernels: string[] | undefined;
  let shard: { index: number; count: number } | undefined;
  let defaults: string[];
  try {
    kernels = parseKernelList(values.kernel);
    shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
    for (const r of roots) if (!fs.existsSync(r)) throw new UsageError(`${r}: no such file or folder`);
    defaults = defaultTestKernels(configuredKernels(path.resolve(roots[0])));
  } catch (e) {
    err.write(`bpf-lsm-test: ${e instanceof ConfigError ? 'configuration: ' : ''}${(e as Error).message}\n`);
    return 2;
  }

  const problems: FileProblem[] = [];
  const files: PolicyTestFile[] = [];
  const paths = roots.flatMap((r) => (fs.statSync(r).isDirectory() ? findPolicyTestFiles([path.resolve(r)]) : [path.resolve(r)]));
  for (const p of paths) {
    const loaded = loadPolicyTestFile(p);
    problems.push(...loaded.problems);
    if (loaded.file) files.push(loaded.file);
  }
  for (const p of problems) err.write(`${path.relative(process.cwd(), p.file) || p.file}:${p.line}:${p.column}: error: ${p.message}\n`);
  if (paths.length === 0) {
    err.write(`bpf-lsm-test: no *.lsmtest.yaml files under ${roots.join(', ')}\n`);
    return 2;
  }

  const abort = new AbortController();
  const jobs = values.jobs !== undefined ? Number(values.jobs) : undefined;
  const pool = new VmPool({
    maxVms: jobs ?? os.availableParallelism(),
    lifetimeSeconds: 3 * 3600,
    log: (line) => err.write(`# ${line}\n`),
  });
  const onSignal = () => {
    if (abort.signal.aborted) {
      pool.killNow();
      process.exit(130);
    }
    err.write('bpf-lsm-test: stopping (again to kill the VMs now)\n');
    abort.abort();
  };
  const onExit = () => pool.killNow();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('exit', onExit);

  // spec without --output: the progress lines are the report (on stdout); otherwise they go to stderr.
  const live = values.reporter === 'spec' && !values.output ? out : err;
  let running = false;
  let summary: RunSummary;
  try {
    summary = await runPolicyTests(
      {
        files,
        kernels,
        defaultKernels: defaults,
        shard,
        signal: abort.signal,
        target: values.target !== undefined ? { destination: values.target, configFile: values['ssh-config'] } : undefined,
        allowLockout: values['allow-lockout'] === true,
      },
      {
        caseStarted: (file, kernel, name) => {
          // On a terminal the running case shows until its result replaces it.
          if (!live.isTTY) return;
          live.write(`     ${path.basename(file.file)} [${kernel}] ${name} ...`);
          running = true;
        },
        caseFinished: (file, kernel, r) => {
          live.write(`${running ? '\r\x1b[K' : ''}${progressLine(file, kernel, r)}\n`);
          running = false;
        },
        log: (line) => err.write(`# ${line}\n`),
      },
      { pool, jobs, shipped: shippedTools() },
    );
  } finally {
    await pool.dispose();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', onExit);
  }
  summary.problems = problems;
  if (live === err) {
    const report = REPORTERS[values.reporter as keyof typeof REPORTERS](summary.runs, problems);
    if (values.output) fs.writeFileSync(values.output, report);
    else out.write(report);
  }
  for (const e of summary.infrastructureErrors) err.write(`bpf-lsm-test: error: ${e}\n`);
  live.write(
    `${summary.passed} passed, ${summary.failed} failed, ${runsLabel(summary.runs)} in ${(summary.durationMs / 1000).toFixed(1)} s\n`,
  );
  if (problems.length > 0 || summary.infrastructureErrors.length > 0 || abort.signal.aborted) return 2;
  return summary.failed > 0 ? 1 : 0;
}

function runsLabel(runs: FileRun[]): string {
  return `${runs.length} file×kernel run${runs.length === 1 ? '' : 's'}`;
}

/** The loader and action helper shipped next to the bundled CLI (dist/), for real targets without them. */
function shippedTools() {
  const at = (name: string) => (machine: string) => path.join(__dirname, `${name}-${machine}`);
  return { loader: at('lsm-loader'), actionHelper: at('lsm-action') };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`bpf-lsm-test: ${e.stack ?? e.message}\n`);
      process.exitCode = 2;
    },
  );
}
