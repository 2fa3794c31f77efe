// @ts-check
// The mutation run's type checker (stryker.config.mjs: checkers ['typescript-file']): a mutant that does
// not compile is dropped before any test runs. Stryker's own checker (`--checkers typescript`) rebuilds
// the project through TypeScript's solution builder for each mutant, as it would for an edit in an
// editor: a declaration emit to see whether the file's exports changed, then every affected file, and a
// 250 ms wait for more edits first. Our files import one another so widely that its groups hold one
// mutant each, and on this 2-core machine that cost about 0.7 s of CPU per mutant: 2 hours for the
// 11,000 of a full run (docs/mutation-testing.md). This one asks TypeScript's language service for the
// diagnostics of the mutated file alone, which reuses every other file's syntax tree: about a tenth of
// that. A mutant that breaks only a file importing it (a changed inferred type) passes here and is
// tested: a cost in time, never a wrong verdict.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { declareClassPlugin, PluginKind, commonTokens, tokens } from '@stryker-mutator/api/plugin';
import { CheckStatus } from '@stryker-mutator/api/check';

/** @param {string} text @returns {number[]} the offset where each line starts */
function lineStarts(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

class FileTypeChecker {
  static inject = tokens(commonTokens.options);

  /** @type {Map<string, { text: string, starts: number[] }>} the project's files as they are */
  originals = new Map();
  /** @type {Map<string, string>} the text the language service sees, where a mutant is in */
  current = new Map();
  /** @type {Map<string, number>} */
  versions = new Map();
  /** @type {ts.LanguageService | undefined} */
  service;

  /** @param {import('@stryker-mutator/api/core').StrykerOptions} options */
  constructor(options) {
    this.tsconfigFile = path.resolve(String(options.tsconfigFile ?? 'tsconfig.json'));
  }

  async init() {
    const config = ts.getParsedCommandLineOfConfigFile(
      this.tsconfigFile,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    if (!config) throw new Error(`${this.tsconfigFile}: not a TypeScript project`);
    const names = config.fileNames.map((f) => path.resolve(f));
    /** @type {ts.LanguageServiceHost} */
    const host = {
      getScriptFileNames: () => names,
      getScriptVersion: (f) => String(this.versions.get(f) ?? 0),
      getScriptSnapshot: (f) => {
        const text = this.current.get(f) ?? ts.sys.readFile(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => path.dirname(this.tsconfigFile),
      getCompilationSettings: () => config.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
    // A file that does not compile as it is would blame each of its mutants.
    const errors = this.service.getProgram()?.getSemanticDiagnostics() ?? [];
    if (errors.length > 0) throw new Error(`the project does not compile unmutated:\n${this.format(errors)}`);
  }

  /**
   * @param {import('@stryker-mutator/api/core').Mutant[]} mutants one, as no `group` is given
   * @returns {Promise<Record<string, import('@stryker-mutator/api/check').CheckResult>>}
   */
  async check(mutants) {
    /** @type {Record<string, import('@stryker-mutator/api/check').CheckResult>} */
    const results = {};
    for (const mutant of mutants) {
      const file = path.resolve(mutant.fileName);
      const original = this.original(file);
      // Outside the project (a file the tsconfig does not include): nothing to check it against.
      if (!original) {
        results[mutant.id] = { status: CheckStatus.Passed };
        continue;
      }
      const start = original.starts[mutant.location.start.line] + mutant.location.start.column;
      const end = original.starts[mutant.location.end.line] + mutant.location.end.column;
      this.write(file, original.text.slice(0, start) + mutant.replacement + original.text.slice(end));
      const service = /** @type {ts.LanguageService} */ (this.service);
      const errors = [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)];
      this.write(file, original.text);
      results[mutant.id] =
        errors.length > 0 ? { status: CheckStatus.CompileError, reason: this.format(errors) } : { status: CheckStatus.Passed };
    }
    return results;
  }

  /** @param {string} file */
  original(file) {
    let original = this.originals.get(file);
    if (!original && this.service?.getProgram()?.getSourceFile(file)) {
      const text = fs.readFileSync(file, 'utf8');
      original = { text, starts: lineStarts(text) };
      this.originals.set(file, original);
    }
    return original;
  }

  /** @param {string} file @param {string} text */
  write(file, text) {
    this.current.set(file, text);
    this.versions.set(file, (this.versions.get(file) ?? 0) + 1);
  }

  /** @param {readonly ts.Diagnostic[]} errors */
  format(errors) {
    return ts.formatDiagnostics(errors, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => path.dirname(this.tsconfigFile),
      getNewLine: () => '\n',
    });
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Checker, 'typescript-file', FileTypeChecker)];
