// bpf-lsm-lint: the analysis as a command-line linter for CI.
// Exit status: 0 no errors, 1 errors found, 2 usage or I/O errors (the other files are still linted).
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { Analyzer, type AnalysisOptions, type AnalysisResult } from '../analysis/analyze';
import { CHECK_CODES, isCheckCode, unknownCodesMessage, type CheckCode } from '../analysis/checks/registry';
import type { Finding } from '../analysis/findings';
import { readIncludes } from '../analysis/includeReader';
import { readSourceFile } from '../analysis/sourceFile';
import { BuildFlagsCache, buildIncludeDirs } from '../config/compileFlags';
import { ConfigError, findProjectConfig, readProjectConfig, type ProjectConfig } from '../config/projectConfig';
import { HookCatalog, type KernelTarget } from '../hooks/catalog';
import { factsFileText, probedTarget, type ProbedKernel } from '../hooks/probedKernel';
import { resolveTarget } from '../hooks/resolveTarget';
import type * as ProberModule from '../../../engine/src/prober';
import { sarifLog, type LintedFile, type RunProblem } from './sarif';
import { escapeForTerminal, jsonForTerminal } from './terminalText';

const USAGE = `usage: bpf-lsm-lint [--kernel VERSION] [--hook-defs FILE | --btf FILE | --facts FILE] [--format text|json|sarif] [--disable CODE]... [--config FILE] [-I DIR]... FILE...
       bpf-lsm-lint --probe-target DEST [--ssh-config FILE] [--sudo] [--save-facts FILE] [FILE...]

  --kernel VERSION   kernel release to check against (e.g. 6.12, 6.1.20, 6.10); default: the newest bundled
  --hook-defs FILE   your own include/linux/lsm_hook_defs.h instead of the bundled hook table
  --btf FILE         a kernel's BTF (its /sys/kernel/btf/vmlinux): the hooks that kernel really has
  --facts FILE       a kernel's hook facts (from --save-facts): its hooks, and its disabled, sleepable and
                     bool hooks as its own verifier showed them; in place of --kernel, --btf and --hook-defs
  --probe-target DEST  ask that kernel itself over ssh (user@host[:port] or an alias; root, or --sudo):
                     lsm-probe loads (never attaches) minimal programs on every hook; needs no clang there
  --ssh-config FILE  the ssh_config for --probe-target (ssh -F)
  --sudo             run the prober through sudo -n (a --probe-target login that is not root)
  --save-facts FILE  write what --probe-target found, for --facts (in CI, without the target)
  --format FORMAT    text (file:line:col: severity: message [code]), json, or sarif (SARIF 2.1.0 for code
                     scanning: rules from the checks, paths relative to the working directory)
  --disable CODE     skip a check (repeatable): ${CHECK_CODES.join(', ')}
  --config FILE      the project configuration (default: the nearest bpf-lsm.config.json above each file);
                     flags override what it says
  -I DIR             where local headers (#include "shared.h") are looked for, after the file's own
                     directory (repeatable); then bpf-lsm.config.json's includePaths, the file's -I and
                     -iquote in compile_commands.json and .clangd's CompileFlags. Their licences, #defines
                     and section macros count as the file's
  --list-kernels     print the bundled kernel releases and exit`;

export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  /** Where the finding's value came from, and the like (LSP related information). */
  related?: { line: number; column: number; endLine: number; endColumn: number; message: string }[];
}

function toJson(file: string, f: Finding): JsonFinding {
  return {
    file,
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    severity: f.severity,
    code: f.code,
    message: f.message,
    ...(f.related?.length
      ? {
          related: f.related.map((r) => ({
            line: r.range.start.line + 1,
            column: r.range.start.character + 1,
            endLine: r.range.end.line + 1,
            endColumn: r.range.end.character + 1,
            message: r.message,
          })),
        }
      : {}),
  };
}

/** The one-line reason an input file cannot be used (InputFileError and BtfError say it themselves). */
export function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

/** A usage error: said on stderr, exit status 2. */
class UsageError extends Error {}

/** Refuses option values the usage line does not allow (parseArgs takes any string). */
function checkOptions(values: {
  kernel?: string;
  'hook-defs'?: string;
  btf?: string;
  facts?: string;
  'probe-target'?: string;
  'ssh-config'?: string;
  sudo?: boolean;
  'save-facts'?: string;
  config?: string;
  format?: string;
  disable: string[];
}): void {
  if (values.format !== 'text' && values.format !== 'json' && values.format !== 'sarif')
    throw new UsageError(`--format must be text, json or sarif, not '${values.format}'`);
  const unknownCodes = values.disable.filter((c) => !isCheckCode(c));
  if (unknownCodes.length > 0) throw new UsageError(unknownCodesMessage(unknownCodes));
  if (values.kernel !== undefined && values.kernel.trim() === '') {
    throw new UsageError('--kernel needs a release such as 6.12 or 6.1.20 (it was given an empty one)');
  }
  if (values['hook-defs'] !== undefined && values.btf !== undefined) {
    throw new UsageError('--hook-defs and --btf each give the hook table: use one of them');
  }
  // A probed kernel (from a facts file or a target) is the hook table, its sets and its release at once.
  for (const probed of ['facts', 'probe-target'] as const) {
    if (values[probed] === undefined) continue;
    for (const other of ['kernel', 'btf', 'hook-defs', ...(probed === 'probe-target' ? (['facts'] as const) : [])] as const) {
      if (values[other] !== undefined)
        throw new UsageError(`--${probed} gives the hook table and the kernel (as probed); --${other} cannot be combined with it`);
    }
  }
  for (const option of ['ssh-config', 'sudo', 'save-facts'] as const) {
    if (values[option] !== undefined && values[option] !== false && values['probe-target'] === undefined)
      throw new UsageError(`--${option} goes with --probe-target DEST`);
  }
  for (const option of ['hook-defs', 'btf', 'facts', 'save-facts', 'ssh-config', 'config'] as const) {
    if (values[option] === '') throw new UsageError(`--${option} needs a file name`);
  }
  if (values['probe-target'] !== undefined && values['probe-target'].trim() === '')
    throw new UsageError('--probe-target needs an ssh destination (user@host, user@host:port or an alias)');
}

/** One line about what a probe found, for stderr. */
function describeProbe(kernel: ProbedKernel, sets: ReturnType<typeof ProberModule.probedSets>): string {
  const { probe } = kernel;
  return (
    `probed ${probe.hooks.length} hooks of ${kernel.target} (${probe.release}): ${sets.disabled.length} disabled, ` +
    `${sets.sleepable.length} sleepable, ${sets.bool.length} bool${sets.returnRangesChecked ? '' : ' (its verifier checks no return range)'}; ` +
    `${probe.loads} loads in ${probe.ms} ms on the target`
  );
}

/** Where main() writes: process.stdout and process.stderr, or anything with write() (tests). */
export interface Output {
  write(text: string): unknown;
}

/** Whether this process got as far as analysing files (bin.ts then keeps the code cache). */
let analysed = false;
export const analysedFiles = (): boolean => analysed;

export async function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): Promise<number> {
  const say = (line: string) => err.write(`${escapeForTerminal(line)}\n`);
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: 'string' },
        'hook-defs': { type: 'string' },
        btf: { type: 'string' },
        facts: { type: 'string' },
        'probe-target': { type: 'string' },
        'ssh-config': { type: 'string' },
        sudo: { type: 'boolean', default: false },
        'save-facts': { type: 'string' },
        format: { type: 'string', default: 'text' },
        disable: { type: 'string', multiple: true, default: [] },
        config: { type: 'string' },
        include: { type: 'string', short: 'I', multiple: true, default: [] },
        'list-kernels': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    say(`bpf-lsm-lint: ${reason(e)}`);
    err.write(`${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = args;
  const catalog = HookCatalog.bundled();
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  if (values['list-kernels']) {
    out.write(`${catalog.releases.map((r) => `${r.release}\t${r.hooks.size} hooks`).join('\n')}\n`);
    return 0;
  }
  try {
    checkOptions(values);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`bpf-lsm-lint: ${e.message}`);
    return 2;
  }
  if (positionals.length === 0 && values['save-facts'] === undefined) {
    say(
      `bpf-lsm-lint: no files given${values['probe-target'] !== undefined ? ' (and no --save-facts FILE for what the probe finds)' : ''}`,
    );
    err.write(`${USAGE}\n`);
    return 2;
  }

  // --probe-target: the target's kernel, asked before anything else (its facts saved even with no files).
  let probed: KernelTarget | undefined;
  if (values['probe-target'] !== undefined) {
    let kernel: ProbedKernel;
    // The remote engine is loaded only here: it is most of the bundle's start-up, for one option.
    const [{ probeTarget }, { probedSets }] = await Promise.all([import('./probeTarget.js'), import('../../../engine/src/prober.js')]);
    try {
      kernel = await probeTarget({
        destination: values['probe-target'],
        configFile: values['ssh-config'],
        sudo: values.sudo,
        log: { info: () => undefined, warn: (m) => say(`warning: ${m}`), error: (m) => say(`bpf-lsm-lint: ${m}`) },
      });
    } catch (e) {
      say(`bpf-lsm-lint: --probe-target ${values['probe-target']}: ${reason(e)}`);
      return 2;
    }
    say(`note: ${describeProbe(kernel, probedSets(kernel.probe))}`);
    if (values['save-facts'] !== undefined) {
      const file = values['save-facts'];
      try {
        fs.writeFileSync(`${file}.tmp`, factsFileText(kernel));
        fs.renameSync(`${file}.tmp`, file);
      } catch (e) {
        fs.rmSync(`${file}.tmp`, { force: true });
        say(`bpf-lsm-lint: --save-facts ${file}: ${reason(e)}`);
        return 2;
      }
      say(`note: facts saved to ${file} (lint with --facts ${file})`);
    }
    if (positionals.length === 0) return 0;
    probed = probedTarget(kernel, catalog);
  }

  // The configuration of each file: --config for all, else the nearest bpf-lsm.config.json above it.
  const configs = new Map<string, ProjectConfig>();
  const configOf = new Map<string, ProjectConfig | undefined>();
  try {
    const given = values.config !== undefined ? readProjectConfig(values.config) : undefined;
    const foundIn = new Map<string, string | undefined>();
    for (const file of positionals) {
      const dir = path.dirname(path.resolve(file));
      if (!given && !foundIn.has(dir)) foundIn.set(dir, findProjectConfig(dir));
      const found = given ? values.config : foundIn.get(dir);
      if (found !== undefined && !configs.has(found)) configs.set(found, given ?? readProjectConfig(found));
      configOf.set(file, found !== undefined ? configs.get(found) : undefined);
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say(`bpf-lsm-lint: ${e.message}`);
    return 2;
  }

  // One target and set of options per configuration (flags > config file > defaults), resolved before any
  // file is linted: a problem with the hook table stops the run (exit 2) before any output.
  const setups = new Map<ProjectConfig | undefined, { target: KernelTarget; options: AnalysisOptions }>();
  for (const config of new Set(configOf.values())) {
    const fromConfig = (field: 'hookDefsPath' | 'btfPath') => `${config!.file}: ${field}`;
    const flagTable = values['hook-defs'] !== undefined || values.btf !== undefined || values.facts !== undefined;
    const hookDefsPath = flagTable ? values['hook-defs'] : config?.hookDefsPath;
    const btfPath = flagTable ? values.btf : config?.btfPath;
    const resolved = probed
      ? { target: probed, problems: [] }
      : resolveTarget({ kernel: values.kernel ?? config?.kernel, hookDefsPath, btfPath, factsPath: values.facts }, catalog);
    const { target, problems } = resolved;
    for (const p of problems) {
      switch (p.kind) {
        case 'hook-defs-unreadable':
          say(`bpf-lsm-lint: ${flagTable ? '--hook-defs' : fromConfig('hookDefsPath')} ${p.path}: ${p.reason}`);
          return 2;
        case 'btf-unusable':
          say(`bpf-lsm-lint: ${flagTable ? '--btf' : fromConfig('btfPath')} ${p.path}: ${p.reason}`);
          return 2;
        case 'bad-kernel':
          say(`bpf-lsm-lint: ${values.kernel === undefined ? `${config!.file}: kernel: ` : ''}${p.reason}`);
          return 2;
        case 'header-errors':
          for (const h of p.errors) say(`${p.path}:${h.line}: warning: ${h.message}`);
          if (!p.used) {
            say(`bpf-lsm-lint: ${p.path} has no LSM_HOOK entries that parse`);
            return 2;
          }
          break;
        case 'facts-unusable':
        case 'probe-unusable':
          say(`bpf-lsm-lint: --facts ${p.path}: ${p.reason}`);
          return 2;
      }
    }
    if (target.note) say(`note: ${target.note}`);
    const disabledChecks: CheckCode[] = values.disable.length > 0 ? (values.disable as CheckCode[]) : (config?.disabledChecks ?? []);
    setups.set(config, { target, options: { disabledChecks, ...(config?.severity ? { severityOverrides: config.severity } : {}) } });
  }

  const analyzer = await Analyzer.create();
  analysed = true;
  const buildFlags = new BuildFlagsCache();
  let ioError = false;
  let errors = 0;
  const json: JsonFinding[] = [];
  const sarif: LintedFile[] = [];
  const problems: RunProblem[] = [];
  try {
    for (const file of positionals) {
      let result: AnalysisResult;
      try {
        const config = configOf.get(file);
        const { target, options } = setups.get(config)!;
        const text = readSourceFile(file);
        const dirs = [
          ...values.include.map((d) => path.resolve(d)),
          ...(config?.includePaths ?? []),
          ...buildIncludeDirs(file, buildFlags),
        ];
        const { headers, unread } = readIncludes(file, text, { dirs });
        // What such a header holds (a licence, #defines, section macros) is unknown: said, so -I can be given.
        for (const u of unread) say(`note: ${file}: "${u.name}" could not be read (${u.reason}); what it defines is not known`);
        result = analyzer.analyze(text, target, catalog, { ...options, includes: { headers, unread } });
      } catch (e) {
        say(`bpf-lsm-lint: ${file}: ${reason(e)}`);
        problems.push({ file, message: reason(e) });
        ioError = true;
        continue;
      }
      if (values.format === 'sarif') sarif.push({ file, findings: result.findings });
      for (const f of result.findings) {
        if (f.severity === 'error') errors++;
        if (values.format === 'sarif') continue;
        if (values.format === 'json') json.push(toJson(file, f));
        else
          out.write(
            `${escapeForTerminal(`${file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}]`)}\n` +
              (f.related ?? [])
                .map(
                  (r) => `${escapeForTerminal(`${file}:${r.range.start.line + 1}:${r.range.start.character + 1}: note: ${r.message}`)}\n`,
                )
                .join(''),
          );
      }
      // The findings above are complete but for the failed check's: say which, and exit 2.
      for (const failure of result.failures) {
        const where = failure.program !== undefined ? ` on program ${failure.program}` : '';
        say(`bpf-lsm-lint: ${file}: the ${failure.check} check failed${where} (${failure.message}); its findings there are missing`);
        problems.push({ file, message: `the ${failure.check} check failed${where} (${failure.message}); its findings there are missing` });
        ioError = true;
      }
    }
  } finally {
    analyzer.dispose();
  }
  if (values.format === 'json') out.write(`${jsonForTerminal(json)}\n`);
  if (values.format === 'sarif') out.write(`${jsonForTerminal(sarifLog(sarif, process.cwd(), problems))}\n`);
  return ioError ? 2 : errors > 0 ? 1 : 0;
}
