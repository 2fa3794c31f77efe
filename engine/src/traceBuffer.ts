// The trace panel's model, apart from VS Code (the panel, the bench and the tests share it): the last
// `maxLines` lines in a ring, the filter, pause, and batched output to a view. Lines come in batches (a
// chunk of trace_pipe); the view gets at most one write per `intervalMs` with at most `viewBudget` lines
// (the first line after a quiet time within `quietDelayMs`), and is replaced by the ring's lines once
// `maxLines` lines were appended to it. A faster stream than the view
// takes is still kept in the ring (pausing shows it) and the view says how many lines it skipped: neither
// memory nor the editor's work grows with the stream's rate.

/** Where the shown text goes: the panel's output channel. */
export interface TraceSink {
  /** Whole lines, each ending in \n, added at the end of the view. */
  append(text: string): void;
  /** The view's whole new text. */
  replace(text: string): void;
}

export interface TraceBufferOptions {
  /** Lines kept (bpfLsm.target.traceMaxLines); the view holds at most twice as many. */
  maxLines: number;
  sink: TraceSink;
  /** The shortest time between two writes to the view. */
  intervalMs?: number;
  /** How long the first line after a quiet time (no write for intervalMs) waits for others. */
  quietDelayMs?: number;
  /** Lines shown per flush at most; more are skipped in the view (and counted), not in the ring. */
  viewBudget?: number;
  /** Runs `flush` after `ms`, and the time in ms (tests pass their own clock). */
  schedule?: (flush: () => void, ms: number) => void;
  now?: () => number;
}

export const TRACE_NOTE_PREFIX = '[bpf-lsm] ';
// At most 400 lines a second, in two writes, reach the view: more is unreadable, and each write costs
// the window a redraw. Measured in VS Code under a 20,000 lines/s stream, a command's round trip through
// the window: 1,000 lines per 100 ms p95 107 ms, 100 per 250 ms p95 56 ms, 200 per 500 ms p95 44 ms.
const DEFAULT_INTERVAL_MS = 500;
const DEFAULT_QUIET_DELAY_MS = 50;
const DEFAULT_VIEW_BUDGET = 200;

const defaultSchedule = (flush: () => void, ms: number) => setTimeout(flush, ms).unref();

/** A fixed-capacity ring of lines: pushing onto a full ring drops the oldest, in O(1). */
export class LineRing {
  private items: (string | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private capacity: number) {
    this.items = new Array<string | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(line: string): void {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = line;
      this.count++;
    } else {
      this.items[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  toArray(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.start + i) % this.capacity]!;
    return out;
  }

  /** A new capacity, keeping the newest lines that fit. */
  resize(capacity: number): void {
    const kept = this.toArray().slice(-capacity);
    this.capacity = capacity;
    this.items = new Array<string | undefined>(capacity);
    this.start = 0;
    this.count = 0;
    for (const l of kept) this.push(l);
  }

  clear(): void {
    this.items = new Array<string | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
  }
}

export class TraceBuffer {
  private readonly ring: LineRing;
  private maxLines: number;
  private readonly sink: TraceSink;
  private readonly intervalMs: number;
  private readonly quietDelayMs: number;
  private readonly viewBudget: number;
  private readonly schedule: (flush: () => void, ms: number) => void;
  private readonly now: () => number;
  private lastFlushAt = -Infinity;
  /** Matching lines waiting for the next flush, oldest first. */
  private pending: string[] = [];
  /** Matching lines left out of the view since the last flush. */
  private skipped = 0;
  /** Lines skipped since the view was last replaced from the ring (pausing shows them). */
  private skippedSinceRender = 0;
  /** Lines appended to the view since it was last replaced. */
  private appendedSinceRender = 0;
  private filterText: string | undefined;
  private paused = false;
  private heldWhilePaused = 0;
  private flushScheduled = false;
  private disposed = false;
  /** Lines received in all. */
  received = 0;
  /** Lines left out of the view in all (they were in the ring while it held them). */
  skippedTotal = 0;

  constructor(options: TraceBufferOptions) {
    this.maxLines = options.maxLines;
    this.ring = new LineRing(options.maxLines);
    this.sink = options.sink;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.quietDelayMs = options.quietDelayMs ?? DEFAULT_QUIET_DELAY_MS;
    this.viewBudget = Math.min(options.viewBudget ?? DEFAULT_VIEW_BUDGET, options.maxLines);
    this.schedule = options.schedule ?? defaultSchedule;
    this.now = options.now ?? (() => performance.now());
  }

  /** A batch of lines from trace_pipe, oldest first. */
  push(lines: readonly string[]): void {
    this.received += lines.length;
    for (const l of lines) this.ring.push(l);
    if (this.paused) {
      this.heldWhilePaused += lines.length;
      return;
    }
    for (const l of lines) if (this.matches(l)) this.pending.push(l);
    // Bounded between flushes too: at most twice the budget waits, the oldest extra are skipped.
    if (this.pending.length > 2 * this.viewBudget) this.skipOldest(this.pending.length - this.viewBudget);
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush(), Math.max(this.quietDelayMs, this.lastFlushAt + this.intervalMs - this.now()));
    }
  }

  /** A line of the panel's own (connection state); shown whatever the filter. */
  note(text: string): void {
    this.push([TRACE_NOTE_PREFIX + text]);
  }

  /** Shows what waits now (the timer calls this; so do pause and tests). */
  flush(): void {
    this.flushScheduled = false;
    if (this.disposed) return;
    if (this.pending.length > this.viewBudget) this.skipOldest(this.pending.length - this.viewBudget);
    if (this.pending.length === 0 && this.skipped === 0) return;
    this.lastFlushAt = this.now();
    const shown = this.pending;
    this.pending = [];
    this.appendedSinceRender += shown.length;
    if (this.appendedSinceRender > this.maxLines) {
      // The view would hold more than twice maxLines: start it again from the ring.
      this.skipped = 0;
      this.render();
      return;
    }
    let text = '';
    if (this.skipped > 0) {
      text +=
        `${TRACE_NOTE_PREFIX}${this.skipped} lines skipped in the view (more than ${this.viewBudget} in ${this.intervalMs} ms); ` +
        `the last ${this.maxLines} are kept: pause to see them\n`;
      this.skipped = 0;
    }
    if (shown.length > 0) text += shown.join('\n') + '\n';
    this.sink.append(text);
  }

  clear(): void {
    this.ring.clear();
    this.pending = [];
    this.skipped = 0;
    this.skippedSinceRender = 0;
    this.appendedSinceRender = 0;
    this.heldWhilePaused = 0;
    this.sink.replace('');
  }

  /** Paused, the view stays as it is (showing the skipped lines the ring still holds); lines are still kept. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    if (paused) {
      this.flush();
      this.paused = true;
      if (this.skippedSinceRender > 0) this.render();
      return;
    }
    this.paused = false;
    if (this.heldWhilePaused > 0) this.render();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Shows only lines containing `text` (a program name, a word); undefined or empty shows all. */
  setFilter(text: string | undefined): void {
    this.filterText = text || undefined;
    this.render();
  }

  get filter(): string | undefined {
    return this.filterText;
  }

  setMaxLines(n: number): void {
    this.maxLines = n;
    this.ring.resize(n);
  }

  /** The ring's lines that pass the filter, oldest first: what the view shows once flushed. */
  visibleLines(): string[] {
    return this.ring.toArray().filter((l) => this.matches(l));
  }

  /** Lines in the ring (at most maxLines). */
  get kept(): number {
    return this.ring.length;
  }

  /** Lines waiting for the next flush (at most twice the view budget). */
  get waiting(): number {
    return this.pending.length;
  }

  dispose(): void {
    this.disposed = true;
    this.pending = [];
  }

  private matches(line: string): boolean {
    return !this.filterText || line.startsWith(TRACE_NOTE_PREFIX) || line.includes(this.filterText);
  }

  private skipOldest(n: number): void {
    this.pending = this.pending.slice(n);
    this.skipped += n;
    this.skippedSinceRender += n;
    this.skippedTotal += n;
  }

  /** Replaces the view with the ring's matching lines. */
  private render(): void {
    const lines = this.visibleLines();
    this.pending = [];
    this.skipped = 0;
    this.skippedSinceRender = 0;
    this.appendedSinceRender = 0;
    this.heldWhilePaused = 0;
    this.sink.replace(lines.length ? lines.join('\n') + '\n' : '');
  }
}
