// Runs every check over the LSM programs of one file.
import type { Parser, Tree } from 'web-tree-sitter';
import type { HookCatalog, KernelTarget } from '../hooks/catalog';
import { createCParser, parseCBounded, tooLargeMessage, MAX_ANALYSED_LENGTH } from './cParser';
import type { CheckCode, Finding, Range, Severity } from './findings';
import { findPrograms, type FileModel, type LsmProgram } from './programs';
import { includeFacts, type ResolvedIncludes } from './includes';
import { FILE_CHECKS, PROGRAM_CHECKS, SUPPRESSIONS, type CheckEntry } from './checks/registry';
import type { SourceComment } from './suppressions';
import { lockouts as findLockouts, type Lockout } from './checks/alwaysDenies';
import { TextIndex } from '../ctext/textIndex';

export interface AnalysisOptions {
  /** Checks to skip entirely. */
  disabledChecks?: readonly CheckCode[];
  /** Severity to report a check's findings with, instead of its own. */
  severityOverrides?: Partial<Record<CheckCode, Severity>>;
  /**
   * The file's local headers as the caller read them (includeReader.ts). Without them, a local include
   * counts as unread: what it might hold (a licence) is not claimed missing.
   */
  includes?: ResolvedIncludes;
}

/**
 * A check (or the program finder) that threw. Its findings for the file, or for that program, are
 * missing; every other check's findings are in the result.
 */
export interface CheckFailure {
  /** A check's name in checks/registry.ts (its main finding code), or `programs` for the program finder. */
  check: string;
  /** The program the check failed on (its name), for checks run per program. */
  program?: string;
  /** The error's message, one line. */
  message: string;
}

export interface AnalysisResult {
  model: FileModel;
  findings: Finding[];
  /**
   * Programs that deny every call of a hook a machine cannot do without (exec, file access...): ask
   * before attaching them to a target. Found whatever checks are disabled or overridden.
   */
  lockouts: Lockout[];
  /** Empty when every check ran to the end. */
  failures: CheckFailure[];
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim() || 'unknown error';
}

/** Runs one check; a throw becomes a failure, so one check's bug cannot cost the others' findings. */
function attempt<T>(failures: CheckFailure[], check: string, program: string | undefined, run: () => T, fallback: T): T {
  try {
    return run();
  } catch (err) {
    failures.push({ check, ...(program !== undefined ? { program } : {}), message: oneLine(err) });
    return fallback;
  }
}

/**
 * A program declared through a macro: its prototype is the macro's text, so only fixes that edit its
 * body or its hook argument (both written at the use) are kept.
 */
function withoutMacroEdits(f: Finding, program: LsmProgram, model: FileModel): Finding {
  if (!f.fixes) return f;
  const spans: [number, number][] = [];
  if (program.body) spans.push([program.body.startIndex, program.body.endIndex]);
  if (program.hookEditable) spans.push([program.hookStart, program.hookEnd]);
  const inside = (r: Range) => {
    const start = model.index.offset(r.start);
    const end = model.index.offset(r.end);
    return spans.some(([a, b]) => start >= a && end <= b);
  };
  const fixes = f.fixes.filter((fix) => fix.edits.every((e) => inside(e.range)));
  return { ...f, fixes: fixes.length > 0 ? fixes : undefined };
}

/** Analyses a parsed file. The tree stays the caller's (it may be reused for incremental parsing). */
export function analyzeTree(
  tree: Tree,
  text: string,
  target: KernelTarget,
  catalog: HookCatalog,
  options: AnalysisOptions = {},
): AnalysisResult {
  const failures: CheckFailure[] = [];
  const emptyModel = (): FileModel => ({ text, index: new TextIndex(text), programs: [], licenses: [], defines: new Map() });
  const included = attempt(failures, 'includes', undefined, () => includeFacts(text, options.includes), null);
  const model = attempt(failures, 'programs', undefined, () => findPrograms(tree, text, included?.inherited), null) ?? emptyModel();
  if (included) model.includes = included.facts;
  const disabled = new Set(options.disabledChecks ?? []);
  const enabled = <R>(check: CheckEntry<R>) => check.codes.some((c) => !disabled.has(c));
  const findings: Finding[] = [];
  for (const program of model.programs) {
    const ctx = { model, program, target, catalog, hook: target.hooks.get(program.hook) };
    for (const check of PROGRAM_CHECKS.filter(enabled)) {
      const found = attempt(failures, check.name, program.name, () => check.run(ctx), []);
      findings.push(...(program.viaMacro ? found.map((f) => withoutMacroEdits(f, program, model)) : found));
    }
  }
  for (const check of FILE_CHECKS.filter(enabled)) {
    findings.push(...attempt(failures, check.name, undefined, () => check.run(model), []));
  }
  const suppressed = attempt(
    failures,
    SUPPRESSIONS.name,
    undefined,
    () => {
      // Codes whose checks did not run in full: a suppression of them is not judged unused.
      const failed = new Set(failures.map((f) => f.check));
      const checks = [...PROGRAM_CHECKS, ...FILE_CHECKS];
      const unchecked = new Set<string>([
        ...disabled,
        ...checks.filter((c) => failed.has(c.name) || failed.has('programs')).flatMap((c) => c.codes),
      ]);
      return SUPPRESSIONS.run(text, model.index, suppressionComments(tree, text), findings, unchecked);
    },
    { kept: findings, unused: [] },
  );
  const lockouts = attempt(failures, 'always-denies', undefined, () => findLockouts(model, target), []);
  const overrides = options.severityOverrides ?? {};
  const result = [...suppressed.kept, ...suppressed.unused]
    .filter((f) => !disabled.has(f.code))
    .map((f) => {
      const severity = Object.hasOwn(overrides, f.code) ? overrides[f.code] : undefined;
      return severity ? { ...f, severity } : f;
    });
  result.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { model, findings: result, lockouts, failures };
}

/** The comments that may be suppression directives (tree-sitter's comment nodes: never inside strings). */
function suppressionComments(tree: Tree, text: string): SourceComment[] {
  if (!text.includes('bpf-lsm-disable')) return [];
  return tree.rootNode
    .descendantsOfType('comment')
    .flatMap((n) => (n && n.text.includes('bpf-lsm-disable') ? [{ text: n.text, start: n.startIndex, end: n.endIndex }] : []));
}

/** Parses and analyses whole texts: for the command-line linter, tests and benchmarks. */
export class Analyzer {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<Analyzer> {
    return new Analyzer(await createCParser());
  }

  /** Throws, with a one-line message, when the text is over MAX_ANALYSED_LENGTH or the parse budget. */
  analyze(text: string, target: KernelTarget, catalog: HookCatalog, options?: AnalysisOptions): AnalysisResult {
    if (text.length > MAX_ANALYSED_LENGTH) throw new Error(tooLargeMessage(text.length));
    const parsed = parseCBounded(this.parser, text);
    if (!parsed.tree) throw new Error(parsed.message);
    const tree = parsed.tree;
    try {
      return analyzeTree(tree, text, target, catalog, options);
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.parser.delete();
  }
}
