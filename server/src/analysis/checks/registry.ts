// Every check: the finding codes it reports, each with its default severity and a one-line summary, and
// the function that runs it. Everything that lists checks comes from here or is tested against it: the
// finding codes (CHECK_CODES, CheckCode), the CLI's --disable validation, the settings' enums in
// package.json, the project configuration file's schema and the tables of checks in README.md and
// docs/extension-readme.md (test/unit/checkRegistry.test.ts). Adding a check: its module, and its entry
// below. An `editor` entry is a code the extension reports from elsewhere (the kernel's verifier). analyze.ts runs the checks one by one, each isolated from the others' failures, and skips a
// check whose codes are all disabled.
import type { Severity } from '../../../../common/severity';
import type { Finding } from '../findings';
import type { FileModel } from '../programs';
import type { ProgramCheck } from './context';
import { checkHelperCalls, checkKfuncCalls } from './callables';
import { checkAlwaysDenies } from './alwaysDenies';
import { checkHookExists } from './hookExists';
import { checkDisabledHook, checkSectionSupported, checkSleepable } from './hookSets';
import { checkLicense } from './license';
import { checkMisleadingIndentation } from './misleadingIndentation';
import { checkNullableArgs } from './nullableArgs';
import { checkPassthrough } from './passthrough';
import { checkReturnRange } from './returnRange';
import { checkSignature } from './signature';
import { checkMacro } from './wrongMacro';
import { applySuppressions } from '../suppressions';

/** What one finding code means. */
export interface CodeInfo {
  /** The severity its findings get unless the user overrides it. */
  readonly severity: Severity;
  /** Kernels before `release` get `severity` instead (the kernel only enforces the rule from then on). */
  readonly before?: { readonly release: string; readonly severity: Severity };
  /** What it catches, one line (the tables of checks in the READMEs). */
  readonly summary: string;
}

/**
 * Checks run once per LSM program, or once per file; the inline suppressions run once after all of them,
 * over their findings (they drop the suppressed ones and report the suppressions that matched none).
 */
type Run =
  | { scope: 'program'; run: ProgramCheck }
  | { scope: 'file'; run: (model: FileModel) => Finding[] }
  | { scope: 'suppressions'; run: typeof applySuppressions };

/** In the order the checks run in, and the order of the READMEs' tables. */
const CHECKS = [
  {
    name: 'unknown-hook',
    scope: 'program',
    run: checkHookExists,
    codes: {
      'unknown-hook': { severity: 'error', summary: 'a hook no kernel has (`lsm/target_exec`), with the nearest real hooks' },
      'hook-not-in-kernel': { severity: 'error', summary: 'a hook the chosen kernel lacks, and the bundled releases that have it' },
    },
  },
  {
    name: 'disabled-hook',
    scope: 'program',
    run: checkDisabledHook,
    codes: {
      'disabled-hook': { severity: 'error', summary: 'hooks BPF LSM refuses (including the stable-kernel backports of that list)' },
    },
  },
  {
    name: 'not-sleepable',
    scope: 'program',
    run: checkSleepable,
    codes: { 'not-sleepable': { severity: 'error', summary: '`lsm.s/` on a hook that may not sleep' } },
  },
  {
    name: 'unsupported-section',
    scope: 'program',
    run: checkSectionSupported,
    codes: { 'unsupported-section': { severity: 'error', summary: '`lsm_cgroup/` before 6.0' } },
  },
  {
    name: 'wrong-macro',
    scope: 'program',
    run: checkMacro,
    codes: {
      'wrong-macro': {
        severity: 'error',
        summary: '`BPF_KPROBE`/`BPF_KRETPROBE` on an LSM program (the verifier refuses its context reads)',
      },
    },
  },
  {
    name: 'signature-mismatch',
    scope: 'program',
    run: checkSignature,
    codes: {
      'signature-mismatch': { severity: 'error', summary: "`BPF_PROG` arguments that do not match the hook's prototype in that release" },
    },
  },
  {
    name: 'missing-ret-passthrough',
    scope: 'program',
    run: checkPassthrough,
    codes: {
      'missing-ret-passthrough': {
        severity: 'hint',
        summary:
          "a program that does not pass `int ret` on (`if (ret != 0) return ret;`), the kernel documentation's convention (a hint: a hook's programs run only until one denies, so nothing is overridden)",
      },
    },
  },
  {
    name: 'return-out-of-range',
    scope: 'program',
    run: checkReturnRange,
    codes: {
      'return-out-of-range': {
        severity: 'error',
        before: { release: '6.12', severity: 'warning' },
        summary: 'verdicts outside `[-4095, 0]` (`return EPERM;`), or `[0, 1]` on bool hooks and `lsm_cgroup` (`1` on void hooks)',
      },
    },
  },
  {
    name: 'helper-not-allowed',
    scope: 'program',
    run: checkHelperCalls,
    codes: {
      'helper-not-allowed': {
        severity: 'error',
        summary:
          'a BPF helper the program may not call on that kernel (`bpf_copy_from_user` in `lsm/`, `bpf_d_path` off the sleepable hooks)',
      },
    },
  },
  {
    name: 'kfunc-not-allowed',
    scope: 'program',
    run: checkKfuncCalls,
    codes: {
      'kfunc-not-allowed': {
        severity: 'error',
        summary: 'a `__ksym` kfunc the kernel lacks, or refuses for the program (a sleepable kfunc in `lsm/`)',
      },
    },
  },
  {
    name: 'unchecked-nullable-arg',
    scope: 'program',
    run: checkNullableArgs,
    codes: {
      'unchecked-nullable-arg': {
        severity: 'error',
        summary: "a hook argument the kernel may pass as NULL (`mmap_file`'s `file`) dereferenced without a NULL check",
      },
    },
  },
  {
    name: 'always-denies',
    scope: 'program',
    run: checkAlwaysDenies,
    codes: {
      'always-denies': {
        severity: 'warning',
        summary: 'a program no path of which allows (on exec, file, mmap and task hooks: a lock-out, ssh included)',
      },
    },
  },
  {
    name: 'misleading-indentation',
    scope: 'program',
    run: checkMisleadingIndentation,
    codes: {
      'misleading-indentation': { severity: 'warning', summary: 'an unbraced `if` whose indented second statement runs every time' },
    },
  },
  {
    name: 'license',
    scope: 'file',
    run: checkLicense,
    codes: {
      license: {
        severity: 'error',
        summary:
          'no `SEC("license")` in the file or its local headers, or one that is not GPL-compatible (information when a header cannot be read)',
      },
    },
  },
  {
    name: 'unused-suppression',
    scope: 'suppressions',
    run: applySuppressions,
    codes: {
      'unused-suppression': {
        severity: 'warning',
        summary: 'a `// bpf-lsm-disable-next-line CODE` (`-line`, `-file`) that suppressed nothing, or names no check code',
      },
    },
  },
  {
    // Not the analysis: the extension's Verify on Target reports it from the kernel's own verifier.
    name: 'verifier-rejected',
    scope: 'editor',
    codes: {
      'verifier-rejected': {
        severity: 'error',
        summary:
          "a program a kernel's own verifier refuses (Verify on Target, on save with `bpfLsm.verifyOnSave`), at the line it failed on",
      },
    },
  },
] as const satisfies readonly ({ name: string; codes: Record<string, CodeInfo> } & (Run | { scope: 'editor' }))[];

/** A finding code: what `--disable`, `bpfLsm.disabledChecks` and `bpfLsm.severity` name. */
export type CheckCode = CodesOf<(typeof CHECKS)[number]>;
type CodesOf<E> = E extends { codes: infer C } ? keyof C & string : never;

/** Every finding code with what it means, in the READMEs' order. */
export const CODES: ReadonlyMap<CheckCode, CodeInfo> = new Map(CHECKS.flatMap((c) => Object.entries(c.codes) as [CheckCode, CodeInfo][]));

export const CHECK_CODES: readonly CheckCode[] = [...CODES.keys()];

export function isCheckCode(code: unknown): code is CheckCode {
  // Map.has compares by identity: a value that is not a string is never a key.
  return CODES.has(code as CheckCode);
}

/** The severity column of the tables of checks: `error`, or `error from 6.12, warning before`. */
export function severityText(info: CodeInfo): string {
  return info.before ? `${info.severity} from ${info.before.release}, ${info.before.severity} before` : info.severity;
}

/** The table of checks in Markdown, as README.md and docs/extension-readme.md carry it. */
export function checksTable(): string {
  const rows = [...CODES].map(([code, info]) => `| \`${code}\` | ${severityText(info)} | ${info.summary} |`);
  return ['| code | severity | what it catches |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The one-line complaint about codes that are not check codes, naming the known ones. */
export function unknownCodesMessage(codes: readonly string[]): string {
  return `unknown check code(s) ${codes.join(', ')}; known: ${CHECK_CODES.join(', ')}`;
}

export interface CheckEntry<R> {
  /** Named after its main finding code; what a failure report calls it. */
  name: string;
  codes: readonly CheckCode[];
  run: R;
}

function entry<R>(c: (typeof CHECKS)[number], run: R): CheckEntry<R> {
  return { name: c.name, codes: Object.keys(c.codes) as CheckCode[], run };
}

/** Checks run once per LSM program. */
export const PROGRAM_CHECKS: CheckEntry<ProgramCheck>[] = CHECKS.flatMap((c) => (c.scope === 'program' ? [entry(c, c.run)] : []));

/** The inline suppressions, run after every other check (analyze.ts). */
export const SUPPRESSIONS: CheckEntry<typeof applySuppressions> = CHECKS.flatMap((c) =>
  c.scope === 'suppressions' ? [entry(c, c.run)] : [],
)[0];

/** Checks run once per file. */
export const FILE_CHECKS: CheckEntry<(model: FileModel) => Finding[]>[] = CHECKS.flatMap((c) =>
  c.scope === 'file' ? [entry(c, c.run)] : [],
);

/** Codes the editor reports itself (not the analysis, not the linter): settings and tables still list them. */
export const EDITOR_CODES: readonly CheckCode[] = CHECKS.flatMap((c) =>
  c.scope === 'editor' ? (Object.keys(c.codes) as CheckCode[]) : [],
);
