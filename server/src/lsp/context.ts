// What the features of the language server share: the documents, the settings, the kernel target and
// one analysis per document version.
import type { Connection } from 'vscode-languageserver';
import type { BpfLsmSettings } from '../../../common/settings';
import { analyzeTree, type AnalysisResult } from '../analysis/analyze';
import type { CheckCode, Severity } from '../analysis/findings';
import type { HookCatalog, KernelTarget } from '../hooks/catalog';
import { isBpfDocument, MAX_ANALYSED_LENGTH, type DocumentStore, type OpenDocument } from './documentStore';

export type DocumentAnalysis =
  | { kind: 'analysed'; result: AnalysisResult }
  | { kind: 'not-bpf' }
  | { kind: 'too-large'; length: number }
  | { kind: 'parse-gave-up' };

export class ServerContext {
  settings: BpfLsmSettings;
  target: KernelTarget;
  /** Bumped when settings or target change, so cached analyses are recomputed. */
  generation = 0;
  private readonly cache = new Map<string, { version: number; generation: number; analysis: DocumentAnalysis }>();

  constructor(
    readonly connection: Connection,
    readonly store: DocumentStore,
    readonly catalog: HookCatalog,
    settings: BpfLsmSettings,
    target: KernelTarget,
  ) {
    this.settings = settings;
    this.target = target;
  }

  configure(settings: BpfLsmSettings, target: KernelTarget): void {
    this.settings = settings;
    this.target = target;
    this.generation++;
  }

  /** The analysis of the document's current version (computed once per version and settings). */
  analysis(entry: OpenDocument): DocumentAnalysis {
    const uri = entry.doc.uri;
    const cached = this.cache.get(uri);
    if (cached && cached.version === entry.doc.version && cached.generation === this.generation) return cached.analysis;
    const analysis = this.compute(entry);
    this.cache.set(uri, { version: entry.doc.version, generation: this.generation, analysis });
    return analysis;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }

  private compute(entry: OpenDocument): DocumentAnalysis {
    const text = entry.doc.getText();
    if (!isBpfDocument(entry.doc.uri, text)) return { kind: 'not-bpf' };
    if (text.length > MAX_ANALYSED_LENGTH) return { kind: 'too-large', length: text.length };
    const tree = this.store.tree(entry);
    if (!tree) return { kind: 'parse-gave-up' };
    const result = analyzeTree(tree, text, this.target, this.catalog, {
      disabledChecks: this.settings.disabledChecks as CheckCode[],
      severityOverrides: this.settings.severity as Partial<Record<CheckCode, Severity>>,
    });
    return { kind: 'analysed', result };
  }
}
