// trace_pipe of the target, streamed over a persistent ssh session of its own. The remote reader must not
// outlive the session (trace_pipe admits one reader): it runs on a terminal (ssh -tt), so when the
// session ends for any reason the terminal hangs up and the reader gets SIGHUP. The session has its own
// connection, not the shared master, whose channels can outlive the local client. A drop reconnects.
import type { ResultPromise } from 'execa' with { 'resolution-mode': 'import' };
import type { SshConnection } from './sshConnection';

export interface TraceEvents {
  line(text: string): void;
  status(text: string): void;
}

/** Splits a chunk of trace_pipe (read on a terminal, so with \r\n) into whole lines and the unfinished rest. */
export function splitTraceChunk(partial: string, chunk: string): { lines: string[]; partial: string } {
  const lines = (partial + chunk.replace(/\r/g, '')).split('\n');
  const rest = lines.pop() ?? '';
  return { lines: lines.filter((l) => l !== ''), partial: rest };
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
  ) {
    this.firstLine = new Promise((r) => (this.resolveFirstLine = r));
  }

  /** Clears lines left from earlier runs, then starts streaming. */
  async start(): Promise<void> {
    await this.conn.run(['sh', '-c', `echo > ${this.tracefs}/trace`], { privileged: true });
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
    const { subprocess: child } = await this.conn.spawn(['cat', `${this.tracefs}/trace_pipe`], {
      privileged: true,
      dedicated: true,
      tty: true,
    });
    this.child = child;
    this.events.status(`streaming ${this.tracefs}/trace_pipe from ${this.conn.target.label}`);
    child.stdout!.on('data', (chunk: Buffer | string) => {
      this.retryDelayMs = 500;
      const { lines, partial } = splitTraceChunk(this.partial, chunk.toString());
      this.partial = partial;
      for (const l of lines) {
        this.events.line(l);
        this.resolveFirstLine();
      }
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
