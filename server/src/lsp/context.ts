// What the features of the language server share: the documents, the settings, the kernel target and
// one analysis per document text (computed by the analysis worker, see analysisHost.ts).
import type { Connection } from 'vscode-languageserver';
import type { BpfLsmSettings } from '../../../common/settings';
import type { AnalysisOptions } from '../analysis/analyze';
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

  /** A closed document: nothing of it is kept. */
  forget(uri: string): void {
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
    const analysis = await this.host.analyse(entry);
    if (analysis.kind === 'parser-crashed' && this.store.get(uri) === entry) this.crashed.set(uri, { generation, analysis });
    return analysis;
  }

  private options(): AnalysisOptions {
    return {
      disabledChecks: this.settings.disabledChecks as CheckCode[],
      severityOverrides: this.settings.severity as Partial<Record<CheckCode, Severity>>,
    };
  }
}
