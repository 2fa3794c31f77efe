// What the features of the language server share: the documents, the settings, the kernel target and
// one analysis per document text (computed by the analysis worker, see analysisHost.ts).
import type { Connection } from 'vscode-languageserver';
import type { BpfLsmSettings } from '../../../common/settings';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisOptions } from '../analysis/analyze';
import { readIncludes } from '../analysis/includeReader';
import type { ResolvedIncludes } from '../analysis/includes';
import { buildIncludeDirs } from '../config/compileFlags';
import type { CheckCode, Severity } from '../analysis/findings';
import type { HookCatalog, KernelTarget } from '../hooks/catalog';
import type { AnalysisHost, HostAnalysis } from './analysisHost';
import { isBpfDocument, MAX_ANALYSED_LENGTH, type DocumentStore, type OpenDocument } from './documentStore';

export type DocumentAnalysis = HostAnalysis | { kind: 'not-bpf' } | { kind: 'too-large'; length: number };

export class ServerContext {
  settings: BpfLsmSettings;
  target: KernelTarget;
  /** Bumped when settings or target change, so cached analyses are recomputed. */
  generation = 0;
  /** Keyed by the document's generation (its text), never only by its version. */
  private readonly cache = new Map<string, { generation: number; settingsGeneration: number; analysis: Promise<DocumentAnalysis> }>();
  /** The include directories of the workspace's bpf-lsm.config.json (its includePaths). */
  includeDirs: readonly string[] = [];
  /** By document: the files its last analysis read or looked for as local headers. */
  private readonly dependencies = new Map<string, Set<string>>();
  /** By file: the include directories its compile_commands.json entry and .clangd give (read once). */
  private readonly buildDirs = new Map<string, string[]>();
  /** Texts the parser crashed on, by document: not sent again until they change. */
  private readonly crashed = new Map<string, { generation: number; analysis: DocumentAnalysis }>();

  constructor(
    readonly connection: Connection,
    readonly store: DocumentStore,
    readonly catalog: HookCatalog,
    private readonly host: AnalysisHost,
    settings: BpfLsmSettings,
    target: KernelTarget,
  ) {
    this.settings = settings;
    this.target = target;
    host.configure(target, this.options());
  }

  configure(settings: BpfLsmSettings, target: KernelTarget): void {
    this.settings = settings;
    this.target = target;
    this.generation++;
    this.host.configure(target, this.options());
  }

  /** The analysis of the document's current text (computed once per text and settings). */
  analysis(entry: OpenDocument): Promise<DocumentAnalysis> {
    const uri = entry.doc.uri;
    const cached = this.cache.get(uri);
    if (cached && cached.generation === entry.generation && cached.settingsGeneration === this.generation) return cached.analysis;
    const analysis = this.compute(entry);
    this.cache.set(uri, { generation: entry.generation, settingsGeneration: this.generation, analysis });
    return analysis;
  }

  /** Client changes, after the store applied them. */
  changed(uri: string, version: number, changes: unknown[]): void {
    this.host.change(uri, version, changes);
  }

  /**
   * Files changed (a header edited in the editor or on disk): the documents whose analysis read or looked
   * for them lose their cached analysis; they are returned, to be analysed again.
   */
  dependentsOf(files: readonly string[]): string[] {
    const changed = new Set(files.map((f) => path.resolve(f)));
    const dependents: string[] = [];
    for (const [uri, deps] of this.dependencies) {
      if (![...changed].some((f) => deps.has(f))) continue;
      this.cache.delete(uri);
      dependents.push(uri);
    }
    return dependents;
  }

  /** The build's include directories may have changed (compile_commands.json, .clangd): every analysis is redone. */
  buildFlagsChanged(): void {
    this.buildDirs.clear();
    this.generation++;
  }

  /** A closed document: nothing of it is kept. */
  forget(uri: string): void {
    this.dependencies.delete(uri);
    this.cache.delete(uri);
    this.crashed.delete(uri);
    this.host.release(uri);
  }

  dispose(): void {
    this.host.dispose();
  }

  private async compute(entry: OpenDocument): Promise<DocumentAnalysis> {
    const { uri } = entry.doc;
    const { generation } = entry;
    const text = entry.doc.getText();
    if (!isBpfDocument(uri, text)) {
      this.host.release(uri);
      return { kind: 'not-bpf' };
    }
    if (text.length > MAX_ANALYSED_LENGTH) {
      this.host.release(uri);
      return { kind: 'too-large', length: text.length };
    }
    const crashed = this.crashed.get(uri);
    if (crashed?.generation === generation) return crashed.analysis;
    const reading = performance.now();
    const includes = this.readIncludes(uri, text);
    const readMs = performance.now() - reading;
    const analysis = await this.host.analyse(entry, includes);
    // What this document's analysis costs (the diagnostics' debounce follows it): its headers read here too.
    if (analysis.kind === 'analysed') return { ...analysis, ms: analysis.ms + readMs };
    if (analysis.kind === 'parser-crashed' && this.store.get(uri) === entry) this.crashed.set(uri, { generation, analysis });
    return analysis;
  }

  /**
   * The local headers of a document on disk: open ones from the editor (their unsaved text), others read
   * bounded. A document that is not a file (untitled) has none read: its licence is then left unchecked.
   */
  private readIncludes(uri: string, text: string): ResolvedIncludes | undefined {
    const file = localPath(uri);
    if (file === undefined) {
      this.dependencies.delete(uri);
      return undefined;
    }
    let build = this.buildDirs.get(file);
    if (!build) this.buildDirs.set(file, (build = buildIncludeDirs(file)));
    // By path, not by URI: editors encode file URIs differently (VS Code escapes `@`, Node does not).
    const open = new Map<string, OpenDocument>();
    for (const entry of this.store.all()) {
      const p = localPath(entry.doc.uri);
      if (p !== undefined) open.set(p, entry);
    }
    const { headers, unread, dependencies } = readIncludes(file, text, {
      dirs: [...this.includeDirs, ...build],
      openText: (f) => open.get(path.resolve(f))?.doc.getText(),
    });
    this.dependencies.set(uri, new Set(dependencies));
    return { headers, unread };
  }

  private options(): AnalysisOptions {
    return {
      disabledChecks: this.settings.disabledChecks as CheckCode[],
      severityOverrides: this.settings.severity as Partial<Record<CheckCode, Severity>>,
    };
  }
}

/** The file a `file:` URI names, or undefined for other URIs (untitled documents). */
function localPath(uri: string): string | undefined {
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}
