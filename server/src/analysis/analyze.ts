// Runs every check over the LSM programs of one file.
import type { Parser, Tree } from 'web-tree-sitter';
import type { HookCatalog, KernelTarget } from '../hooks/catalog';
import { createCParser, parseC } from './cParser';
import type { CheckCode, Finding, Severity } from './findings';
import { findPrograms, type FileModel } from './programs';
import type { ProgramCheck } from './checks/context';
import { checkHookExists } from './checks/hookExists';
import { checkDisabledHook, checkSectionSupported, checkSleepable } from './checks/hookSets';
import { checkMacro } from './checks/wrongMacro';
import { checkSignature } from './checks/signature';
import { checkPassthrough } from './checks/passthrough';
import { checkReturnRange } from './checks/returnRange';
import { checkMisleadingIndentation } from './checks/misleadingIndentation';
import { checkLicense } from './checks/license';

export interface AnalysisOptions {
  /** Checks to skip entirely. */
  disabledChecks?: readonly CheckCode[];
  /** Severity to report a check's findings with, instead of its own. */
  severityOverrides?: Partial<Record<CheckCode, Severity>>;
}

export interface AnalysisResult {
  model: FileModel;
  findings: Finding[];
}

const PROGRAM_CHECKS: ProgramCheck[] = [
  checkHookExists,
  checkDisabledHook,
  checkSleepable,
  checkSectionSupported,
  checkMacro,
  checkSignature,
  checkPassthrough,
  checkReturnRange,
  checkMisleadingIndentation,
];

/** Analyses a parsed file. The tree stays the caller's (it may be reused for incremental parsing). */
export function analyzeTree(
  tree: Tree,
  text: string,
  target: KernelTarget,
  catalog: HookCatalog,
  options: AnalysisOptions = {},
): AnalysisResult {
  const model = findPrograms(tree, text);
  const findings: Finding[] = [];
  for (const program of model.programs) {
    const ctx = { model, program, target, catalog, hook: target.hooks.get(program.hook) };
    for (const check of PROGRAM_CHECKS) findings.push(...check(ctx));
  }
  findings.push(...checkLicense(model));
  const disabled = new Set(options.disabledChecks ?? []);
  const result = findings
    .filter((f) => !disabled.has(f.code))
    .map((f) => {
      const severity = options.severityOverrides?.[f.code];
      return severity ? { ...f, severity } : f;
    });
  result.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { model, findings: result };
}

/** Parses and analyses whole texts: for the command-line linter, tests and benchmarks. */
export class Analyzer {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<Analyzer> {
    return new Analyzer(await createCParser());
  }

  analyze(text: string, target: KernelTarget, catalog: HookCatalog, options?: AnalysisOptions): AnalysisResult {
    const tree = parseC(this.parser, text);
    if (!tree) throw new Error('parsing took too long; the file was not analysed');
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
