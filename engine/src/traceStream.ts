// trace_pipe of the target, streamed over a persistent ssh session of its own. The remote reader must not
// outlive the session (trace_pipe admits one reader): it runs on a terminal (ssh -tt), so when the
// session ends for any reason the terminal hangs up and the reader gets SIGHUP. The session has its own
// connection, not the shared master, whose channels can outlive the local client. A drop reconnects.
// Lines go out in batches, one per chunk read: a fast stream costs one callback per chunk, not per line.
import type { ResultPromise } from 'execa' with { 'resolution-mode': 'import' };
import type { SshConnection } from './sshConnection';

export interface TraceEvents {
  /** Whole lines, oldest first, as one chunk of the stream brought them. */
  lines(batch: string[]): void;
  status(text: string): void;
}

export interface TraceStreamOptions {
  /**
   * Diagnostics only (the bench and the tests; no setting): the guest command to read instead of trace_pipe,
   * e.g. `syntheticTraceCommand()`. The trace buffer is then left as it is.
   */
  command?: string[];
}

/** The longest unfinished line kept between chunks; a longer one goes out as it is (trace lines are short). */
export const MAX_PARTIAL_LINE = 64 * 1024;

/** Splits a chunk of trace_pipe (read on a terminal, so with \r\n) into whole lines and the unfinished rest. */
export function splitTraceChunk(partial: string, chunk: string): { lines: string[]; partial: string } {
  const lines = (partial + chunk.replace(/\r/g, '')).split('\n');
  let rest = lines.pop() ?? '';
  const whole = lines.filter((l) => l !== '');
  if (rest.length > MAX_PARTIAL_LINE) {
    whole.push(rest);
    rest = '';
  }
  return { lines: whole, partial: rest };
}

/** Distinct lines the synthetic stream repeats: awk makes them once (about 2 s on an emulated guest). */
export const SYNTHETIC_BLOCK_LINES = 10_000;

/**
 * A guest command (busybox sh, awk, cat) printing trace_pipe-formatted lines as fast as it can, forever:
 * three in four from `synth_a`, one in four from `synth_b`, so a filter on `synth_b` keeps a quarter. awk
 * writes a block of lines to a file once and cat repeats it, since awk itself is slower than the path
 * under test. `crlf` keeps the terminal's output processing (\n to \r\n), as trace_pipe has it; without,
 * the terminal passes lines as they are, which an emulated guest does about 1.5 times as fast.
 */
export function syntheticTraceCommand(options: { crlf?: boolean } = {}): string[] {
  const awk =
    `BEGIN { for (i = 0; i < ${SYNTHETIC_BLOCK_LINES}; i++) printf "%16s-%-7d [%03d] ...11 %5d.%06d: bpf_trace_printk: %s: synthetic open %d\\n", ` +
    '"cat", 200 + i % 50, i % 2, 15 + int(i / 1000000), i % 1000000, (i % 4 ? "synth_a" : "synth_b"), i }';
  const script = [
    'f=$(mktemp)',
    `trap 'rm -f "$f"; exit' HUP INT TERM`,
    `awk '${awk}' > "$f"`,
    ...(options.crlf ? [] : ['stty -opost 2>/dev/null']),
    // Until cat fails: a hang-up (the session ended) or a closed pipe.
    'while cat "$f"; do :; done',
    'rm -f "$f"',
  ].join('; ');
  return ['sh', '-c', script];
}

export class TraceStream {
  private child: ResultPromise | undefined;
  private stopped = false;
  private retryDelayMs = 500;
  private partial = '';
  private firstLine: Promise<void>;
  private resolveFirstLine!: () => void;

  constructor(
    private readonly conn: SshConnection,
    private readonly tracefs: string,
    private readonly events: TraceEvents,
    private readonly options: TraceStreamOptions = {},
  ) {
    this.firstLine = new Promise((r) => (this.resolveFirstLine = r));
  }

  /** Clears lines left from earlier runs, then starts streaming. */
  async start(): Promise<void> {
    if (!this.options.command) await this.conn.run(['sh', '-c', `echo > ${this.tracefs}/trace`], { privileged: true });
    await this.connect();
  }

  /** Resolves when the first trace line arrives. */
  get firstLineSeen(): Promise<void> {
    return this.firstLine;
  }

  get running(): boolean {
    return !!this.child && !this.stopped;
  }

  /** Ends the session: its connection closes, the remote terminal hangs up and the reader ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.kill('SIGTERM');
      await child.catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const synthetic = this.options.command;
    const { subprocess: child } = await this.conn.spawn(synthetic ?? ['cat', `${this.tracefs}/trace_pipe`], {
      privileged: !synthetic,
      dedicated: true,
      tty: true,
    });
    this.child = child;
    this.partial = '';
    this.events.status(
      synthetic
        ? `streaming a synthetic trace from ${this.conn.target.label}`
        : `streaming ${this.tracefs}/trace_pipe from ${this.conn.target.label}`,
    );
    // Decoded as a stream, so a character split between two chunks stays whole.
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.retryDelayMs = 500;
      const { lines, partial } = splitTraceChunk(this.partial, chunk);
      this.partial = partial;
      if (lines.length === 0) return;
      this.events.lines(lines);
      this.resolveFirstLine();
    });
    child.stderr!.on('data', (chunk: Buffer | string) => {
      for (const l of chunk.toString().split('\n')) if (l.trim()) this.events.status(`reader: ${l.trim()}`);
    });
    void child.then(
      () => this.onClosed(child),
      () => this.onClosed(child),
    );
  }

  private onClosed(child: ResultPromise): void {
    if (this.stopped || this.child !== child) return;
    this.child = undefined;
    this.events.status(`connection to ${this.conn.target.label} lost; reconnecting in ${this.retryDelayMs} ms`);
    setTimeout(
      () => void this.connect().catch((e: Error) => this.events.status(`reconnect failed: ${e.message}`)),
      this.retryDelayMs,
    ).unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 10_000);
  }
}
