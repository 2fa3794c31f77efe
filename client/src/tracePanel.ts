// The trace panel: an output channel in the bpf-trace language (coloured by syntaxes/bpf-trace), holding a
// bounded ring of lines that can be paused, cleared and filtered by program or text.
import * as vscode from 'vscode';

export class TracePanel implements vscode.Disposable {
  private readonly channel: vscode.OutputChannel;
  private lines: string[] = [];
  private filter: string | undefined;
  private paused = false;
  private pending = 0;
  /** Lines received in all, for tests and the status bar. */
  received = 0;

  constructor(private maxLines: number) {
    this.channel = vscode.window.createOutputChannel('BPF LSM Trace', 'bpf-trace');
  }

  setMaxLines(n: number): void {
    this.maxLines = n;
    this.trim();
  }

  show(): void {
    this.channel.show(true);
  }

  /** A line from trace_pipe. */
  append(line: string): void {
    this.received++;
    this.lines.push(line);
    this.trim();
    if (this.paused) {
      this.pending++;
      return;
    }
    if (this.matches(line)) this.channel.appendLine(line);
  }

  /** A line of the panel's own (connection state). */
  note(text: string): void {
    this.append(`[bpf-lsm] ${text}`);
  }

  clear(): void {
    this.lines = [];
    this.pending = 0;
    this.channel.replace('');
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused && this.pending > 0) {
      this.pending = 0;
      this.render();
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Shows only lines containing `text` (a program name, a word); undefined shows all. */
  setFilter(text: string | undefined): void {
    this.filter = text || undefined;
    this.render();
  }

  /** The lines the panel shows now (for tests). */
  visibleLines(): string[] {
    return this.lines.filter((l) => this.matches(l));
  }

  dispose(): void {
    this.channel.dispose();
  }

  private matches(line: string): boolean {
    return !this.filter || line.startsWith('[bpf-lsm]') || line.includes(this.filter);
  }

  private trim(): void {
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  private render(): void {
    this.channel.replace(this.visibleLines().join('\n') + (this.lines.length ? '\n' : ''));
  }
}
