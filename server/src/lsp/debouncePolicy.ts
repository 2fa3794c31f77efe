// How long diagnostics wait after an edit, per document (as clangd's DebouncePolicy): in proportion to
// how long that document's analyses take, so a small program is checked almost at once and a large one is not
// re-analysed on every keystroke of a burst. The user's `bpfLsm.debounceMs` is the upper bound, and no
// document waits longer than it since its first edit not yet analysed: typing faster than the delay
// never starves the diagnostics. Pure: the caller passes the clock.

/** The shortest delay: coalesces the changes an editor sends together (a paste and its formatting). */
export const MIN_DEBOUNCE_MS = 5;
/**
 * Delay = this × the document's recent analysis time. Below clangd's 1: edits that arrive while an
 * analysis runs are coalesced into one more run anyway (diagnostics.ts), so the delay need not cover a
 * whole analysis to keep a burst of typing from costing one analysis per keystroke.
 */
export const DEBOUNCE_FACTOR = 0.5;
/** Analyses remembered per document; their median is the estimate (one slow outlier, a GC, moves nothing). */
export const HISTORY_LENGTH = 8;

/** The delay before analysing: clamp(factor × estimate, min, upper bound); the bound when no analysis was timed yet. */
export function debounceDelay(estimateMs: number | undefined, upperBoundMs: number): number {
  const bound = Math.max(0, upperBoundMs);
  if (estimateMs === undefined) return bound;
  return Math.min(bound, Math.max(MIN_DEBOUNCE_MS, Math.ceil(DEBOUNCE_FACTOR * estimateMs)));
}

/** The lower median of the samples (the faster one of the middle two), undefined for none. */
export function medianOf(samples: readonly number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export class AdaptiveDebounce {
  /** Recent analysis times per document, oldest first. */
  private readonly history = new Map<string, number[]>();
  /** When each document's oldest edit still waiting for an analysis was made. */
  private readonly waitingSince = new Map<string, number>();

  /** The delay for an edit made at `now`; never past `upperBoundMs` after the first edit still waiting. */
  delay(uri: string, now: number, upperBoundMs: number): number {
    const since = this.waitingSince.get(uri) ?? now;
    this.waitingSince.set(uri, since);
    const wanted = debounceDelay(this.estimate(uri), upperBoundMs);
    return Math.max(0, Math.min(wanted, since + Math.max(0, upperBoundMs) - now));
  }

  /** An analysis of the document starts: the edits waiting so far are being served. */
  started(uri: string): void {
    this.waitingSince.delete(uri);
  }

  /** How long an analysis of the document took (the server's side: reading headers, parse, checks). */
  record(uri: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const samples = this.history.get(uri) ?? [];
    samples.push(ms);
    if (samples.length > HISTORY_LENGTH) samples.shift();
    this.history.set(uri, samples);
  }

  /** The document's estimated analysis time, undefined before its first timed analysis. */
  estimate(uri: string): number | undefined {
    return medianOf(this.history.get(uri) ?? []);
  }

  forget(uri: string): void {
    this.history.delete(uri);
    this.waitingSince.delete(uri);
  }
}
