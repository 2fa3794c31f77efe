// Diagnostics while typing: per-document debounce, as long as that document's analyses take (debouncePolicy.ts,
// the user's debounceMs its upper bound); a newer edit resets the timer, and only a document's
// latest run publishes (analyses run in the worker, so an older one can still be on its way). Results are
// published with the version analysed; closing a document clears its diagnostics. When the analysis did
// not run in full the user is told, never left with an empty list: a diagnostic on line 1 while the
// problem lasts, and a message once per document and problem.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import { MAX_ANALYSED_LENGTH, type OpenDocument } from '../documentStore';
import { DIAGNOSTIC_SOURCE, toDiagnostic } from '../convert';
import { createLogger, type Logger } from '../logger';
import { AdaptiveDebounce } from '../debouncePolicy';

const MB = 1024 * 1024;

export class DiagnosticsFeature {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Documents that currently show diagnostics of ours (so a document that stops being BPF is cleared). */
  private readonly published = new Set<string>();
  /** The latest run per document: only it may publish. */
  private readonly runs = new Map<string, number>();
  private lastRun = 0;
  /** Documents being analysed now, and those whose text changed meanwhile. */
  private readonly inFlight = new Set<string>();
  private readonly rerun = new Set<string>();
  /** `uri \n problem` already shown as a message. */
  private readonly told = new Set<string>();
  private readonly debounce = new AdaptiveDebounce();

  private readonly log: Logger;

  constructor(private readonly ctx: ServerContext) {
    this.log = createLogger(ctx.connection.console);
  }

  /** Analyse after the debounce delay; `immediately` for opens and settings changes. */
  schedule(uri: string, immediately = false): void {
    clearTimeout(this.timers.get(uri));
    const delay = immediately ? 0 : this.debounce.delay(uri, performance.now(), this.ctx.settings.debounceMs);
    if (!immediately) this.log.debug(`debounce ${uri}: ${delay.toFixed(0)} ms`);
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.run(uri);
      }, delay),
    );
  }

  scheduleAll(): void {
    for (const entry of this.ctx.store.all()) this.schedule(entry.doc.uri, true);
  }

  clear(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.runs.delete(uri);
    this.rerun.delete(uri);
    this.debounce.forget(uri);
    for (const key of this.told) if (key.startsWith(`${uri}\n`)) this.told.delete(key);
    if (this.published.delete(uri)) void this.ctx.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * One analysis per document at a time: edits that arrive meanwhile are coalesced into one more run
   * for the newest text, so a burst of edits to a large file costs two analyses, not one per edit.
   */
  private async run(uri: string): Promise<void> {
    if (this.inFlight.has(uri)) {
      this.rerun.add(uri);
      return;
    }
    this.inFlight.add(uri);
    try {
      await this.runOnce(uri);
    } finally {
      this.inFlight.delete(uri);
      if (this.rerun.delete(uri)) void this.run(uri);
    }
  }

  private async runOnce(uri: string): Promise<void> {
    const entry = this.ctx.store.get(uri);
    if (!entry) return;
    const run = ++this.lastRun;
    this.runs.set(uri, run);
    this.debounce.started(uri);
    const version = entry.doc.version;
    this.log.debug(`analysing ${uri} v${version}`);
    let diagnostics: Diagnostic[] | null;
    try {
      diagnostics = await this.diagnose(entry);
    } catch (err) {
      // Never let one document's failure linger as stale diagnostics, or pass unseen.
      this.log.error(`analysis of ${uri} failed: ${(err as Error)?.stack ?? err}`);
      diagnostics = [
        this.problem(uri, 'analysis', `BPF LSM analysis failed on this file (${describe(err)}); no findings could be computed.`),
      ];
    }
    // A newer text is waiting for its run: these would be stale the moment they arrive.
    if (this.runs.get(uri) !== run || this.rerun.has(uri)) return;
    // Plain C files get nothing from us, unless they showed our diagnostics before (then they are cleared).
    if (diagnostics === null) {
      if (!this.published.delete(uri)) return;
      diagnostics = [];
    } else {
      this.published.add(uri);
    }
    if (!this.publishedAny) {
      this.publishedAny = true;
      this.log.debug(`first diagnostics ${performance.now().toFixed(0)} ms after the server process started`);
    }
    void this.ctx.connection.sendDiagnostics({ uri, version, diagnostics });
  }

  private publishedAny = false;

  /** Diagnostics of a BPF document (every version gets its list, empty or not); null for other C files. */
  private async diagnose(entry: OpenDocument): Promise<Diagnostic[] | null> {
    const uri = entry.doc.uri;
    const analysis = await this.ctx.analysis(entry);
    switch (analysis.kind) {
      case 'analysed': {
        this.debounce.record(uri, analysis.ms);
        this.log.debug(`analysed ${uri} in ${analysis.ms.toFixed(1)} ms`);
        const diagnostics = analysis.findings.map((f) => toDiagnostic(f, uri));
        for (const f of analysis.failures) {
          const where = f.program ? `on program '${f.program}'` : 'on this file';
          diagnostics.push(
            this.problem(
              uri,
              `check ${f.check}`,
              `The BPF LSM check '${f.check}' failed ${where} (${f.message}); its findings are missing, the other checks' are shown.`,
            ),
          );
        }
        return diagnostics;
      }
      case 'failed':
        return [
          this.problem(uri, 'analysis', `BPF LSM analysis failed on this file (${analysis.message}); no findings could be computed.`),
        ];
      case 'parser-crashed':
        return [
          this.problem(
            uri,
            'parser',
            `The C parser failed on this file (${analysis.message}); BPF LSM diagnostics resume when it changes.`,
          ),
        ];
      case 'unavailable':
        return [
          this.problem(uri, 'unavailable', `BPF LSM analysis is unavailable: ${analysis.message}. Try BPF LSM: Restart Language Server.`),
        ];
      case 'too-large':
        // Two decimals near the limit, so a size just over it does not read as equal to it.
        return [
          notice(
            `File too large for BPF LSM analysis (${(analysis.length / MB).toFixed(analysis.length < 10 * MB ? 2 : 1)} MB; the limit is ${MAX_ANALYSED_LENGTH / MB} MB).`,
          ),
        ];
      case 'parse-gave-up':
        return [
          notice(
            "BPF LSM analysis gave up parsing this file (it needs more than the parser's work limit); diagnostics are paused until it changes.",
          ),
        ];
      case 'not-bpf':
        return null;
    }
  }

  /** A problem of ours on this document: a diagnostic each time, a message the first time. */
  private problem(uri: string, what: string, message: string): Diagnostic {
    const key = `${uri}\n${what}`;
    if (!this.told.has(key)) {
      this.told.add(key);
      this.log.warn(`${uri}: ${message}`);
      void this.ctx.connection.window.showWarningMessage(`${fileName(uri)}: ${message}`);
    }
    return { ...notice(message), severity: DiagnosticSeverity.Warning };
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

function fileName(uri: string): string {
  return decodeURIComponentSafe(uri.slice(uri.lastIndexOf('/') + 1)) || uri;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
