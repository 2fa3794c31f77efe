// The server's side of the analysis worker (analysisWorker.ts): starts it when a document first needs
// analysing, sends it each such document once and then its changes, and asks for analyses (answered in
// order). A worker whose parser trapped is replaced and the document it was on is reported, not retried;
// a worker is dropped when documents close and it holds much memory (or no document), which gives
// tree-sitter's WASM memory back to the system: web-tree-sitter keeps one module per thread and its
// memory can only grow.
import type { AnalysisOptions } from '../analysis/analyze';
import type { ResolvedIncludes } from '../analysis/includes';
import type { KernelTarget } from '../hooks/catalog';
import type { OpenDocument } from './documentStore';
import type { FromWorker, ToWorker, WorkerAnalysis, WorkerStartup } from './workerProtocol';
import { startWorker, takePrestartedWorker, type AnalysisThread } from './workerStart';

/** Past this much worker memory (mostly the WASM heap), closing a document replaces the worker. */
const RECYCLE_BYTES = 128 * 1024 * 1024;
/** After this many workers in a row die before they are ready, analysis is reported unavailable. */
const MAX_FAILED_STARTS = 3;

export type HostAnalysis =
  | WorkerAnalysis
  /** The parser trapped on this text; the next change tries again. */
  | { kind: 'parser-crashed'; message: string }
  | { kind: 'unavailable'; message: string };

interface Pending {
  entry: OpenDocument;
  includes: ResolvedIncludes | undefined;
  resolve: (analysis: HostAnalysis) => void;
}

export class AnalysisHost {
  private worker: AnalysisThread | undefined;
  private ready = false;
  /** Documents the current worker has (sent on their first analysis). */
  private readonly inWorker = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private memoryBytes = 0;
  private recycleDue = false;
  private failedStarts = 0;
  private unavailable: string | undefined;
  private configuration: ToWorker | undefined;

  /**
   * `script` is the file the worker runs (the server's own entry, which starts the worker part in a
   * worker thread); `isOpen` says whether a document is still the open one, for retries.
   */
  constructor(
    private readonly script: string,
    private readonly log: (message: string) => void,
    private readonly isOpen: (entry: OpenDocument) => boolean,
    /** Starts a worker; by default a thread running `script` (the prestarted one first). */
    private readonly startThread?: () => AnalysisThread,
  ) {}

  configure(target: KernelTarget, options: AnalysisOptions): void {
    this.configuration = { type: 'configure', target, options };
    this.worker?.postMessage(this.configuration);
  }

  /** `includes`: the document's local headers, read by the caller (the worker reads no files). */
  analyse(entry: OpenDocument, includes?: ResolvedIncludes): Promise<HostAnalysis> {
    if (this.unavailable) return Promise.resolve({ kind: 'unavailable', message: this.unavailable });
    const worker = this.ensureWorker();
    const { uri, languageId, version } = entry.doc;
    if (!this.inWorker.has(uri)) {
      this.post({ type: 'open', uri, languageId, version, text: entry.doc.getText() });
      this.inWorker.add(uri);
    }
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, { entry, includes, resolve });
      worker.postMessage({ type: 'analyse', id, uri, includes } satisfies ToWorker);
    });
  }

  /** The client's changes, for a document the worker has (others are sent whole when analysed). */
  change(uri: string, version: number, changes: unknown[]): void {
    if (this.inWorker.has(uri)) this.post({ type: 'change', uri, version, changes });
  }

  /** The document no longer needs the worker (closed, too large, not BPF): its text and tree are dropped. */
  release(uri: string): void {
    if (!this.inWorker.delete(uri)) return;
    this.post({ type: 'close', uri });
    this.recycleDue = true;
    this.maybeRecycle();
  }

  dispose(): void {
    this.stop();
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private ensureWorker(): AnalysisThread {
    if (this.worker) return this.worker;
    // The one the server's entry started at once (server.ts), the first time; a new one after that.
    const prestarted = this.startThread ? undefined : takePrestartedWorker(this.script);
    const worker = prestarted?.worker ?? this.startThread?.() ?? startWorker(this.script);
    this.worker = worker;
    this.startedAt = prestarted?.startedAt ?? performance.now();
    this.prestarted = !!prestarted;
    this.ready = false;
    this.memoryBytes = 0;
    worker.stdout.on('data', (d: Buffer) => this.log(`analysis worker: ${d.toString().trimEnd()}`));
    worker.stderr.on('data', (d: Buffer) => this.log(`analysis worker: ${d.toString().trimEnd()}`));
    const onMessage = (m: FromWorker) => this.onMessage(worker, m);
    const onError = (err: Error) => this.onStopped(worker, undefined, `${err.name}: ${err.message}`);
    const onExit = (code: number) => this.onStopped(worker, undefined, `the analysis worker exited with code ${code}`);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    if (this.configuration) worker.postMessage(this.configuration);
    // What a prestarted worker said before it was taken over (its 'ready', or that it died).
    for (const e of prestarted?.events ?? []) {
      if (this.worker !== worker) break;
      if (e.type === 'message') onMessage(e.value as FromWorker);
      else if (e.type === 'error') onError(e.value);
      else onExit(e.value);
    }
    return worker;
  }

  /** performance.now() when the current worker was started. */
  private startedAt = 0;
  /** Whether the current worker is the one the server's entry started with the server. */
  private prestarted = false;

  /** Where a worker's start-up went (logged: the cold start's breakdown, see bench/server.ts). */
  private logStartup(s: WorkerStartup | undefined): void {
    const total = performance.now() - this.startedAt;
    if (!s) return;
    // The worker's clock has an origin of its own.
    const sinceStart = (t: number) => (s.origin + t - (performance.timeOrigin + this.startedAt)).toFixed(0);
    this.log(
      `analysis worker ready ${total.toFixed(0)} ms after it was started${this.prestarted ? ' with the server' : ''} ` +
        `(its code loaded at ${sinceStart(s.loadedAt)} ms, ` +
        `then hook tables ${s.tablesMs.toFixed(0)} ms, C parser ${s.parserMs.toFixed(0)} ms more)`,
    );
  }

  private onMessage(worker: AnalysisThread, m: FromWorker): void {
    if (worker !== this.worker) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.failedStarts = 0;
        this.logStartup(m.startup);
        break;
      case 'failed-to-start':
        this.giveUp(`the C parser could not be loaded (${m.message})`);
        break;
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        this.memoryBytes = m.memoryBytes;
        p?.resolve(m.analysis);
        this.maybeRecycle();
        break;
      }
      case 'crashed':
        this.onStopped(worker, m.uri, m.message);
        break;
      case 'log':
        this.log(m.message);
        break;
    }
  }

  /** The worker trapped or died: blame the document it was on, start afresh for the others. */
  private onStopped(worker: AnalysisThread, uri: string | undefined, message: string): void {
    if (worker !== this.worker) return;
    const started = this.ready;
    this.stop();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    // A worker that died starting up was on no document; one that died working was on the oldest asked.
    const blamed = started ? (uri ?? waiting[0]?.entry.doc.uri) : undefined;
    this.log(`the analysis worker stopped${blamed ? ` on ${blamed}` : ''}: ${message}`);
    if (!started && ++this.failedStarts >= MAX_FAILED_STARTS) {
      this.giveUp(`the analysis worker could not start (${message})`, waiting);
      return;
    }
    for (const p of waiting) {
      if (p.entry.doc.uri === blamed) p.resolve({ kind: 'parser-crashed', message });
      else if (this.isOpen(p.entry)) void this.analyse(p.entry, p.includes).then(p.resolve);
      else p.resolve({ kind: 'failed', message: 'the document closed' });
    }
  }

  private giveUp(message: string, waiting = [...this.pending.values()]): void {
    this.unavailable = message;
    this.log(`analysis unavailable: ${message}`);
    this.stop();
    this.pending.clear();
    for (const p of waiting) p.resolve({ kind: 'unavailable', message });
  }

  /** Drops the worker once idle after a release, when it holds much memory or no document. */
  private maybeRecycle(): void {
    if (!this.worker || !this.recycleDue || this.pending.size > 0) return;
    this.recycleDue = false;
    if (this.inWorker.size > 0 && this.memoryBytes <= RECYCLE_BYTES) return;
    this.log(`analysis worker released (${(this.memoryBytes / 1048576).toFixed(0)} MB, ${this.inWorker.size} document(s) to reparse)`);
    this.stop();
  }

  private stop(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.ready = false;
    this.inWorker.clear();
    void worker.terminate();
  }
}
