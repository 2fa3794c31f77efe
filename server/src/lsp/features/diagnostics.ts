// Diagnostics while typing: per-document debounce; a newer edit resets the timer, so a stale run never
// starts (analysis itself is synchronous and short). Results are published with the version analysed;
// closing a document clears its diagnostics.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import type { OpenDocument } from '../documentStore';
import { DIAGNOSTIC_SOURCE, toDiagnostic } from '../convert';

export class DiagnosticsFeature {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Documents that currently show diagnostics of ours (so a document that stops being BPF is cleared). */
  private readonly published = new Set<string>();

  constructor(private readonly ctx: ServerContext) {}

  /** Analyse after the debounce delay; `immediately` for opens and settings changes. */
  schedule(uri: string, immediately = false): void {
    clearTimeout(this.timers.get(uri));
    const delay = immediately ? 0 : this.ctx.settings.debounceMs;
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      this.run(uri);
    }, delay));
  }

  scheduleAll(): void {
    for (const entry of this.ctx.store.all()) this.schedule(entry.doc.uri, true);
  }

  clear(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    if (this.published.delete(uri)) void this.ctx.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private run(uri: string): void {
    const entry = this.ctx.store.get(uri);
    if (!entry) return;
    let diagnostics: Diagnostic[] | null;
    try {
      diagnostics = this.diagnose(entry);
    } catch (err) {
      // Never let one document's failure linger as stale diagnostics or take the server down.
      this.ctx.connection.console.error(`analysis of ${uri} failed: ${(err as Error).stack ?? err}`);
      diagnostics = [];
    }
    // Plain C files get nothing from us, unless they showed our diagnostics before (then they are cleared).
    if (diagnostics === null) {
      if (!this.published.delete(uri)) return;
      diagnostics = [];
    } else {
      this.published.add(uri);
    }
    void this.ctx.connection.sendDiagnostics({ uri, version: entry.doc.version, diagnostics });
  }

  /** Diagnostics of a BPF document (every version gets its list, empty or not); null for other C files. */
  private diagnose(entry: OpenDocument): Diagnostic[] | null {
    const analysis = this.ctx.analysis(entry);
    switch (analysis.kind) {
      case 'analysed':
        return analysis.result.findings.map(toDiagnostic);
      case 'too-large':
        return [notice(`File too large for BPF LSM analysis (${(analysis.length / 1048576).toFixed(1)} MB; the limit is 4 MB).`)];
      case 'parse-gave-up':
        return [notice('BPF LSM analysis gave up parsing this file (it took too long); diagnostics are paused until it changes.')];
      case 'not-bpf':
        return null;
    }
  }
}

function notice(message: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    message,
  };
}
