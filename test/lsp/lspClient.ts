// A protocol-level client for tests and benchmarks: starts the real bundled server (dist/server.js) as a
// child process over stdio and talks LSP to it with vscode-jsonrpc.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  CompletionItem,
  CompletionList,
  Diagnostic,
  Hover,
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import { REPO_ROOT } from '../helpers/paths';
import { InProcessServer, LSP_IN_PROCESS } from './inProcessServer';

/** The bundled server; BPF_LSM_SERVER points the tests at another build (e.g. to see a test fail without a fix). */
export const SERVER = process.env.BPF_LSM_SERVER || path.join(REPO_ROOT, 'dist', 'server.js');

function spawnServer(): ChildProcess {
  return spawn(process.execPath, [...(process.env.LSP_NODE_ARGS ? process.env.LSP_NODE_ARGS.split(' ') : []), SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * A server log line saying an analysis, a check, the parser or a request handler failed: what
 * features/diagnostics.ts (`analysis of URI failed:`, and its notices `URI: BPF LSM analysis failed…`,
 * `URI: The BPF LSM check 'c' failed…`, `URI: The C parser failed…`, `URI: BPF LSM analysis is
 * unavailable…`), analysisWorker.ts, analysisHost.ts (`the analysis worker stopped…`, `analysis
 * unavailable:`) and lspServer.ts (guard()'s `didOpen failed:`, `reading settings failed:`) log.
 */
export const FAILURE_LOG =
  /^(?:\S+: )?(?:analysis of \S+ failed: |BPF LSM analysis failed |The BPF LSM check '.*' failed |The C parser failed |BPF LSM analysis is unavailable|the analysis worker stopped|analysis unavailable: |[\w/ ]+ failed: )/m;

/**
 * How long a test waits for the server when the test sets no bound of its own. The mutation run
 * (test/mutation/register.ts) shortens it: a mutant that silences the server then fails the test, and is
 * killed, instead of outlasting Stryker's timeout, which costs a fresh test process each time.
 */
const REPLY_MS = Number(process.env.LSP_TEST_REPLY_MS) || 10_000;

interface Waiter {
  uri: string;
  minVersion: number;
  resolve: (p: PublishDiagnosticsParams) => void;
}

export class LspTestClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly logs: string[] = [];
  /** What the server registered dynamically (client/registerCapability). */
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  settings: Record<string, unknown>;
  /** Failures a test provokes on purpose (hostile input): stop() lets these FAILURE_LOG lines pass (all, with true). */
  expectsFailures: boolean | RegExp = false;
  private waiters: Waiter[] = [];
  private versions = new Map<string, number>();

  private constructor(
    /** The server: a child process, or in this process under LSP_IN_PROCESS=1 (see inProcessServer.ts). */
    readonly process: ChildProcess | InProcessServer,
    readonly connection: MessageConnection,
    settings: Record<string, unknown>,
    /** false: a client that cannot answer workspace/configuration, so settings are pushed. */
    private readonly pullsSettings = true,
    /** The workspace folder (a directory), sent as rootUri and workspaceFolders; none by default. */
    private readonly workspaceFolder?: string,
  ) {
    this.settings = settings;
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      const ready = this.waiters.filter((w) => w.uri === p.uri && (p.version ?? Infinity) >= w.minVersion);
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(p);
    });
    connection.onNotification('window/showMessage', (m: { type: number; message: string }) => {
      this.messages.push(m);
    });
    connection.onNotification('window/logMessage', (m: { message: string }) => {
      this.logs.push(m.message);
    });
    connection.onRequest('window/showMessageRequest', (m: { type: number; message: string }) => {
      this.messages.push(m);
      return null;
    });
    connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((i) => (i.section === 'bpfLsm' ? this.settings : null)),
    );
    connection.onRequest('client/registerCapability', (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      this.registrations.push(...p.registrations);
      return null;
    });
  }

  /** `workspaceFolder`: a directory opened as the workspace (the client then also watches files for the server). */
  static async start(
    settings: Record<string, unknown> = { debounceMs: 0 },
    options: { pullsSettings?: boolean; workspaceFolder?: string; expectFailures?: boolean | RegExp; inProcess?: boolean } = {},
  ): Promise<LspTestClient> {
    const child = (options.inProcess ?? LSP_IN_PROCESS) ? new InProcessServer() : spawnServer();
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspTestClient(child, connection, settings, options.pullsSettings ?? true, options.workspaceFolder);
    client.expectsFailures = options.expectFailures ?? false;
    child.stderr!.on('data', (d: Buffer) => client.logs.push(d.toString()));
    connection.listen();
    await client.initialize();
    return client;
  }

  private async initialize(): Promise<InitializeResult> {
    const folder = this.workspaceFolder !== undefined ? pathToFileURL(this.workspaceFolder).href : undefined;
    const result = await this.connection.sendRequest<InitializeResult>('initialize', {
      // A server in this process must not watch this process (its watchdog timer would keep it alive).
      processId: this.process instanceof InProcessServer ? null : process.pid,
      rootUri: folder ?? null,
      ...(folder !== undefined ? { workspaceFolders: [{ uri: folder, name: path.basename(this.workspaceFolder!) }] } : {}),
      capabilities: {
        workspace: {
          configuration: this.pullsSettings,
          didChangeConfiguration: { dynamicRegistration: this.pullsSettings },
          ...(folder !== undefined ? { workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true } } : {}),
        },
        textDocument: {
          publishDiagnostics: { versionSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          completion: { completionItem: { snippetSupport: true } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
      },
      initializationOptions: { settings: this.settings },
    });
    await this.connection.sendNotification('initialized', {});
    this.capabilities = result;
    return result;
  }

  capabilities: InitializeResult | undefined;

  /** Waits for a dynamic registration the server makes after `initialized` (in its own time). */
  async registration(
    matches: (r: { method: string; registerOptions?: unknown }) => boolean,
    timeoutMs = Math.min(5000, REPLY_MS),
  ): Promise<{ method: string; registerOptions?: unknown } | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.registrations.find(matches);
      if (found || Date.now() > until) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves with the next diagnostics for `uri` of at least `minVersion`. */
  nextDiagnostics(uri: string, minVersion = 0, timeoutMs = REPLY_MS): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${minVersion} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        uri,
        minVersion,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  async open(uri: string, text: string, languageId = 'c', version = 1): Promise<void> {
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** Opens a document and waits for its first diagnostics. */
  async openAndWait(uri: string, text: string): Promise<PublishDiagnosticsParams> {
    const next = this.nextDiagnostics(uri);
    await this.open(uri, text);
    return next;
  }

  /**
   * Sends changes; returns the new version. The changes are sent as given, so tests can send what
   * clients really send (reversed ranges, `rangeLength` without a range); `version` repeats one.
   */
  async change(uri: string, changes: (TextDocumentContentChangeEvent | Record<string, unknown>)[], version?: number): Promise<number> {
    version ??= (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** Diagnostics of `text` opened fresh under a uri of its own (closed again): what incremental edits must equal. */
  async freshDiagnostics(text: string): Promise<Diagnostic[]> {
    const uri = `file:///fresh/${++this.freshCount}.bpf.c`;
    const { diagnostics } = await this.openAndWait(uri, text);
    await this.close(uri);
    return diagnostics;
  }

  private freshCount = 0;

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** Tells the server that watched files changed (what the editor does for the file watchers it registered). */
  async changeWatchedFiles(changes: { uri: string; type: 1 | 2 | 3 }[]): Promise<void> {
    await this.connection.sendNotification('workspace/didChangeWatchedFiles', { changes });
  }

  /**
   * Changes the settings and returns once the server has applied them: it then republishes every open
   * document, including a small sentinel document this client keeps open for the purpose.
   */
  async setSettings(settings: Record<string, unknown>): Promise<void> {
    if (JSON.stringify(settings) === JSON.stringify(this.settings)) return;
    const sentinel = 'file:///work/.settings-sentinel.bpf.c';
    if (!this.versions.has(sentinel))
      await this.openAndWait(sentinel, 'SEC("lsm/file_open")\nint BPF_PROG(s, struct file *f, int ret) { return ret; }\n');
    const applied = this.nextDiagnostics(sentinel);
    this.settings = settings;
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await applied;
  }

  /** Sends a request and fails if the server does not answer within REPLY_MS. */
  async request<T>(method: string, params: unknown): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${method} within ${REPLY_MS} ms`)), REPLY_MS);
    });
    try {
      return await Promise.race([this.connection.sendRequest<T>(method, params), silence]);
    } finally {
      clearTimeout(timer);
    }
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.request('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  }

  async completion(uri: string, line: number, character: number): Promise<CompletionItem[]> {
    const r = await this.request<CompletionItem[] | CompletionList | null>('textDocument/completion', {
      textDocument: { uri },
      position: { line, character },
    });
    return Array.isArray(r) ? r : (r?.items ?? []);
  }

  codeActions(uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
    return this.request('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], only: ['quickfix'] },
    });
  }

  /** Writes raw bytes to the server's stdin, between the messages of the connection (framing tests). */
  writeRaw(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.process.stdin!.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The server's resident memory (Linux), in MiB. */
  rssMiB(): number {
    const status = fs.readFileSync(`/proc/${this.process.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  }

  get alive(): boolean {
    if (this.process instanceof InProcessServer) return !this.process.stopped;
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Stops the server, then fails if it logged a failure (FAILURE_LOG) the test did not expect (`expectsFailures`). */
  async stop(): Promise<void> {
    await this.stopServer();
    const expected = this.expectsFailures;
    const failures = this.logs.filter((l) => FAILURE_LOG.test(l) && expected !== true && !(expected instanceof RegExp && expected.test(l)));
    if (failures.length > 0)
      throw new Error(`the server logged ${failures.length} failure(s):\n${failures.map((l) => l.slice(0, 2000)).join('\n')}`);
  }

  private async stopServer(): Promise<void> {
    if (this.process instanceof InProcessServer) {
      // shutdown disposes the server's analysis; its timers must not outlive the test, nor ours.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => (timer = setTimeout(r, 2000)))]).catch(
        () => undefined,
      );
      clearTimeout(timer);
      this.connection.dispose();
      this.process.stop();
      return;
    }
    const child = this.process;
    try {
      if (this.alive) {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        const exited = new Promise((r) => child.once('exit', r));
        await this.connection.sendNotification('exit');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
    } catch {
      // The server may already be gone; it is killed below either way.
    } finally {
      this.connection.dispose();
      if (this.alive) child.kill('SIGKILL');
    }
  }
}
