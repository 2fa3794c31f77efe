// bpf-lsm-verify: the real verifier of each kernel on BPF LSM programs, like the kernel's veristat: every
// file compiled against each kernel's BTF and loaded without attaching, on the local test VMs (one per
// kernel, through the policy tests' VM pool) or on a real target over ssh.
// Exit status: 0 every program verified, 1 a program refused (or a file that does not compile), 2 usage
// or infrastructure errors (said on stderr, never as rows).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { TargetSession, verifySource, type VerifyResult } from '../../engine/src';
import { ConfigError } from '../../server/src/config/projectConfig';
import { cacheDir } from '../../vm/src/paths';
import { seriesOf } from './runner';
import { configuredKernels, defaultTestKernels, parseKernelList } from './testKernels';
import { VmPool } from './vmPool';

const USAGE = `usage: bpf-lsm-verify [--kernel 6.1,6.12|all | --target DEST] [--format text|json|csv] FILE...

  FILE               BPF LSM programs (*.bpf.c): each is compiled with -g against the kernel's BTF and
                     each program loaded on its own without attaching (the verifier runs, nothing stays)
  --kernel LIST      test-VM kernel series (default: test.kernels of bpf-lsm.config.json, else every built VM)
  --target DEST      verify on this ssh destination instead of the local VMs
  --ssh-config FILE  an ssh_config for --target
  --format NAME      text (default: a table, then each refusal's source line and message), json or csv
  --log-level N      the verifier's log level: 1 (default: the failing path) or 2 (every instruction's state)

Exit status: 0 all verified, 1 a program refused or a file did not compile, 2 usage or infrastructure errors.`;

export interface Output {
  write(text: string): unknown;
}

class UsageError extends Error {}

const FORMATS = ['text', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** A result as the json and csv formats give it: 1-based line and column, null when verified. */
export interface VerifyRow {
  file: string;
  program: string;
  section: string;
  kernel: string;
  verdict: VerifyResult['verdict'];
  line: number | null;
  column: number | null;
  message: string | null;
  insns: number | null;
  states: number | null;
  ms: number | null;
}

export function toRow(r: VerifyResult, cwd = process.cwd()): VerifyRow {
  return {
    file: path.relative(cwd, r.file) || r.file,
    program: r.program,
    section: r.section,
    kernel: r.kernel,
    verdict: r.verdict,
    line: r.line,
    column: r.column,
    message: r.message,
    insns: r.insns,
    states: r.states,
    ms: r.ms,
  };
}

const COLUMNS: (keyof VerifyRow)[] = [
  'file',
  'program',
  'section',
  'kernel',
  'verdict',
  'line',
  'column',
  'message',
  'insns',
  'states',
  'ms',
];

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(rows: VerifyRow[]): string {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

export function formatJson(rows: VerifyRow[]): string {
  return JSON.stringify(rows, null, 2) + '\n';
}

const number = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));
const millis = (ms: number | null) => (ms === null ? '-' : `${ms.toFixed(1)} ms`);

/** veristat's table (file, program, kernel, verdict, instructions, states, time), then each refusal's line and message. */
export function formatText(rows: VerifyRow[]): string {
  const head = ['File', 'Program', 'Kernel', 'Verdict', 'Insns', 'States', 'Time'];
  const body = rows.map((r) => [r.file, r.program || '-', r.kernel, r.verdict, number(r.insns), number(r.states), millis(r.ms)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const refusals = rows.filter((r) => r.verdict !== 'verified');
  if (refusals.length > 0) out.push('');
  for (const r of refusals) {
    const where = r.line !== null ? `${r.file}:${r.line}:${r.column ?? 1}` : r.file;
    const what = r.verdict === 'compile-error' ? `does not compile for ${r.kernel}` : `${r.kernel} refused ${r.program}`;
    out.push(`${where}: ${what}: ${r.message ?? '(no message)'}`);
  }
  return out.join('\n') + '\n';
}

export function formatRows(rows: VerifyRow[], format: Format): string {
  return format === 'json' ? formatJson(rows) : format === 'csv' ? formatCsv(rows) : formatText(rows);
}

/** The loader shipped next to the bundled CLI (dist/), for real targets without one. */
function shippedLoader(machine: string): string {
  return path.join(__dirname, `lsm-loader-${machine}`);
}

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  let values;
  let files: string[];
  let kernels: string[] | undefined;
  try {
    let positionals: string[];
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: 'string' },
        target: { type: 'string' },
        'ssh-config': { type: 'string' },
        format: { type: 'string', default: 'text' },
        'log-level': { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (!(FORMATS as readonly string[]).includes(values.format!))
      throw new UsageError(`--format must be text, json or csv, not '${values.format}'`);
    if (values['log-level'] !== '1' && values['log-level'] !== '2')
      throw new UsageError(`--log-level must be 1 or 2, not '${values['log-level']}'`);
    if (values.target !== undefined && values.kernel !== undefined)
      throw new UsageError('--kernel chooses local VMs; with --target the kernel is the one the target runs');
    if (positionals.length === 0) throw new UsageError('name at least one file to verify');
    files = positionals.map((f) => path.resolve(f));
    for (const f of files)
      if (!fs.statSync(f, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`${path.relative(process.cwd(), f)}: no such file`);
    kernels = parseKernelList(values.kernel);
  } catch (e) {
    err.write(`bpf-lsm-verify: ${(e as Error).message}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
    return 2;
  }
  const format = values.format as Format;
  const logLevel = values['log-level'] === '2' ? 2 : 1;

  let results: VerifyResult[];
  try {
    results =
      values.target !== undefined
        ? await onTarget(files, { destination: values.target, configFile: values['ssh-config'] }, logLevel)
        : await onVms(files, kernels ?? defaultTestKernels(configuredKernels(files[0])), logLevel, err);
  } catch (e) {
    err.write(`bpf-lsm-verify: ${e instanceof ConfigError ? 'configuration: ' : ''}${(e as Error).message}\n`);
    return 2;
  }
  const rows = sortRows(results).map((r) => toRow(r));
  out.write(formatRows(rows, format));
  return rows.every((r) => r.verdict === 'verified') ? 0 : 1;
}

/** File by file in the order given, each file's programs in its own order, the kernels side by side. */
function sortRows(results: VerifyResult[]): VerifyResult[] {
  const fileOrder = new Map<string, number>();
  const programOrder = new Map<string, number>();
  results.forEach((r, i) => {
    if (!fileOrder.has(r.file)) fileOrder.set(r.file, fileOrder.size);
    if (!programOrder.has(`${r.file}\0${r.program}`)) programOrder.set(`${r.file}\0${r.program}`, i);
  });
  return results
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        fileOrder.get(a.r.file)! - fileOrder.get(b.r.file)! ||
        programOrder.get(`${a.r.file}\0${a.r.program}`)! - programOrder.get(`${b.r.file}\0${b.r.program}`)! ||
        a.i - b.i,
    )
    .map((x) => x.r);
}

async function onTarget(files: string[], target: { destination: string; configFile?: string }, logLevel: 1 | 2): Promise<VerifyResult[]> {
  const session = new TargetSession(target, { btfCache: path.join(cacheDir(), 'btf'), shippedLoader });
  try {
    const report = await session.requireRunnable();
    const kernel = seriesOf(report.kernelRelease);
    const results: VerifyResult[] = [];
    for (const file of files) results.push(...(await verifySource(session, file, { kernel, logLevel })));
    return results;
  } catch (e) {
    throw new Error(`target ${session.label}: ${(e as Error).message}`, { cause: e });
  } finally {
    await session.close();
  }
}

/** One VM at a time, kernel after kernel; each VM serves every file, and is stopped at the end. */
async function onVms(files: string[], kernels: string[], logLevel: 1 | 2, err: Output): Promise<VerifyResult[]> {
  const pool = new VmPool({ maxVms: 1, lifetimeSeconds: 3600, log: (line) => err.write(`# ${line}\n`) });
  const onSignal = () => {
    pool.killNow();
    process.exit(130);
  };
  const onExit = () => pool.killNow();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('exit', onExit);
  try {
    const results: VerifyResult[] = [];
    for (const kernel of kernels) {
      const lease = await pool.acquire(kernel);
      try {
        for (const file of files) results.push(...(await verifySource(lease.session, file, { kernel, logLevel })));
      } finally {
        pool.release(lease);
      }
    }
    return results;
  } finally {
    await pool.dispose();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('exit', onExit);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`bpf-lsm-verify: ${e.stack ?? e.message}\n`);
      process.exitCode = 2;
    },
  );
}
