// The trace panel: an output channel in the bpf-trace language (coloured by syntaxes/bpf-trace) over the
// engine's TraceBuffer, which keeps the last traceMaxLines lines, filters, pauses, and writes to the channel
// in batches (at most one append per 500 ms, of at most 200 lines): a fast stream holds up neither the
// extension host, whose every append to a visible channel is a file flush and a message to the window,
// nor the window, which reads, colours and redraws the view for each append (see traceBuffer.ts).
import * as vscode from 'vscode';
import { TraceBuffer } from '../../engine/src/traceBuffer';

export class TracePanel implements vscode.Disposable {
  private readonly channel: vscode.OutputChannel;
  private readonly buffer: TraceBuffer;

  constructor(maxLines: number) {
    this.channel = vscode.window.createOutputChannel('BPF LSM Trace', 'bpf-trace');
    this.buffer = new TraceBuffer({
      maxLines,
      sink: { append: (text) => this.channel.append(text), replace: (text) => this.channel.replace(text) },
    });
  }

  /** Lines received in all, for tests and the status bar. */
  get received(): number {
    return this.buffer.received;
  }

  /** Lines left out of the view because they came faster than it shows (the ring kept them). */
  get skipped(): number {
    return this.buffer.skippedTotal;
  }

  setMaxLines(n: number): void {
    this.buffer.setMaxLines(n);
  }

  show(): void {
    this.channel.show(true);
  }

  /** A batch of lines from trace_pipe. */
  appendLines(lines: string[]): void {
    this.buffer.push(lines);
  }

  /** A line of the panel's own (connection state). */
  note(text: string): void {
    this.buffer.note(text);
  }

  clear(): void {
    this.buffer.clear();
  }

  setPaused(paused: boolean): void {
    this.buffer.setPaused(paused);
  }

  get isPaused(): boolean {
    return this.buffer.isPaused;
  }

  /** Shows only lines containing `text` (a program name, a word); undefined shows all. */
  setFilter(text: string | undefined): void {
    this.buffer.setFilter(text);
  }

  /** The lines the panel shows now (for tests). */
  visibleLines(): string[] {
    return this.buffer.visibleLines();
  }

  dispose(): void {
    this.buffer.dispose();
    this.channel.dispose();
  }
}
