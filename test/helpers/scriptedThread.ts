// A worker thread whose side a test plays (the analysis host's AnalysisThread): what it was sent, and
// what it says back, message by message.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { AnalysisThread } from '../../server/src/lsp/workerStart';

/** A worker thread whose side the test plays: what it was sent, and what it says back. */
export class ScriptedThread implements AnalysisThread {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly sent: { type: string; uri?: string; id?: number }[] = [];
  terminated = false;
  private readonly events = new EventEmitter();
  postMessage(m: unknown): void {
    this.sent.push(m as { type: string });
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one listener for the three events
  on(event: string, listener: (value: any) => void): this {
    this.events.on(event, listener);
    return this;
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  say(m: unknown): void {
    this.events.emit('message', m);
  }
  exit(code: number): void {
    this.events.emit('exit', code);
  }
  fail(err: Error): void {
    this.events.emit('error', err);
  }
  /** What was sent, as `type uri` lines (configure as its type alone). */
  lines(): string[] {
    return this.sent.map((m) => [m.type, m.uri].filter((x) => x !== undefined).join(' '));
  }
  lastId(): number {
    return this.sent.filter((m) => m.type === 'analyse').pop()!.id!;
  }
  /** Answers every request not answered yet with `analysis`, as a worker holding `memoryBytes`. */
  answerAll(analysis: object, memoryBytes = 1): void {
    for (const m of this.sent.filter((x) => x.type === 'analyse')) this.say({ type: 'result', id: m.id, analysis, memoryBytes });
    this.sent.length = 0;
  }
}

/** A worker's answer with nothing found. */
export const ANALYSED = { kind: 'analysed', findings: [], programs: [], failures: [], ms: 1 } as const;
