// A language server as an editor sees it, for comparisons across servers (ours, clangd): spawned over
// stdio, initialized as a plain client (settings pulled and answered empty, so each server uses its own
// defaults), one document opened from disk and edited, each edit timed until that version's diagnostics.
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';

interface Waiter {
  minVersion: number;
  /** Sent at: a server that publishes without versions answers with its first publish after this. */
  sentAt: number;
  resolve: (p: PublishDiagnosticsParams) => void;
}

export class LspProcess {
  private waiters: Waiter[] = [];
  private version = 1;
  readonly stderr: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    private readonly connection: MessageConnection,
    private readonly uri: string,
  ) {
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      if (p.uri !== this.uri) return;
      const now = performance.now();
      const ready = this.waiters.filter((w) => (p.version === undefined ? now >= w.sentAt : p.version >= w.minVersion));
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(p);
    });
    connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('window/showMessageRequest', () => null);
    connection.onNotification(() => {});
  }

  /** Spawns the server and initializes it with `file`'s directory as the workspace. */
  static async start(command: string, args: string[], file: string, env: NodeJS.ProcessEnv = process.env): Promise<LspProcess> {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const server = new LspProcess(child, connection, pathToFileURL(file).href);
    child.stderr!.on('data', (d: Buffer) => server.stderr.push(d.toString()));
    connection.listen();
    const root = pathToFileURL(file.slice(0, file.lastIndexOf('/'))).href;
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: 'bench' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { versionSupport: true }, synchronization: { didSave: true } },
      },
    });
    await connection.sendNotification('initialized', {});
    return server;
  }

  /** Opens the document and resolves with its first diagnostics. */
  async open(text: string): Promise<PublishDiagnosticsParams> {
    const first = this.next(1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: this.uri, languageId: 'c', version: 1, text } });
    return first;
  }

  /** Sends one change and resolves with the time until the diagnostics of the new version arrived. */
  async edit(change: TextDocumentContentChangeEvent, timeoutMs = 30_000): Promise<number> {
    const version = ++this.version;
    const t0 = performance.now();
    const published = this.next(version, timeoutMs);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri, version },
      contentChanges: [change],
    });
    await published;
    return performance.now() - t0;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }

  private next(minVersion: number, timeoutMs = 60_000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for v${minVersion} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        minVersion,
        sentAt: performance.now(),
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }
}

/**
 * The bench's typing: alternately inserts and deletes one character just after the first '(' of the
 * line, so the text toggles between two versions and stays the same size.
 */
export function togglingEdit(
  text: string,
  lineOf: (line: string, index: number, lines: string[]) => boolean,
  i: number,
): TextDocumentContentChangeEvent {
  const lines = text.split('\n');
  const line = lines.findIndex((l, index) => lineOf(l, index, lines));
  if (line < 0) throw new Error('no line to edit');
  const character = lines[line].indexOf('(') + 1;
  return i % 2 === 0
    ? { range: { start: { line, character }, end: { line, character } }, text: 'x' }
    : { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' };
}
