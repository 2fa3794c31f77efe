// The BPF LSM language server: capabilities, settings, and the wiring of each feature to the protocol.
import {
  TextDocumentSyncKind,
  type ClientCapabilities,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver';
import { TARGET_KERNEL_NOTIFICATION, type TargetKernelParams } from '../../../common/protocol';
import { normaliseSettings, SETTINGS_SECTION, type BpfLsmSettings } from '../../../common/settings';
import { createCParser } from '../analysis/cParser';
import { HookCatalog } from '../hooks/catalog';
import { ServerContext } from './context';
import { DocumentStore } from './documentStore';
import { codeActions } from './features/codeActions';
import { complete, COMPLETION_TRIGGERS } from './features/completion';
import { DiagnosticsFeature } from './features/diagnostics';
import { hover } from './features/hover';
import { resolveTarget } from './targetProvider';

export class BpfLspServer {
  private ctx!: ServerContext;
  private diagnostics!: DiagnosticsFeature;
  private clientCapabilities: ClientCapabilities = {};
  /** Problems already shown to the user (a broken header is reported once, not on every change). */
  private readonly shownProblems = new Set<string>();

  constructor(private readonly connection: Connection) {}

  register(): void {
    const c = this.connection;
    c.onInitialize((params) => this.initialize(params));
    c.onInitialized(() => void this.onInitialized());
    c.onDidChangeConfiguration((change) => void this.reloadSettings(change.settings));
    c.onDidOpenTextDocument(({ textDocument: d }) => this.guard('open', () => {
      this.ctx.store.open(d.uri, d.languageId, d.version, d.text);
      this.diagnostics.schedule(d.uri, true);
    }));
    c.onDidChangeTextDocument(({ textDocument, contentChanges }) => this.guard('change', () => {
      if (this.ctx.store.change(textDocument.uri, textDocument.version, contentChanges)) this.diagnostics.schedule(textDocument.uri);
    }));
    c.onDidCloseTextDocument(({ textDocument }) => this.guard('close', () => {
      this.ctx.store.close(textDocument.uri);
      this.ctx.forget(textDocument.uri);
      this.diagnostics.clear(textDocument.uri);
    }));
    c.onNotification(TARGET_KERNEL_NOTIFICATION, (params: TargetKernelParams) => this.guard('targetKernel', () => {
      this.targetKernel = params.btfPath ? params : undefined;
      this.apply(this.requested, true);
    }));
    c.onHover((params) => this.guard('hover', () => hover(this.ctx, params), null));
    c.onCompletion((params) => this.guard('completion', () => complete(this.ctx, params), []));
    c.onCodeAction((params) => this.guard('codeAction', () => codeActions(params), []));
    c.onShutdown(() => {
      this.diagnostics?.dispose();
      this.ctx?.store.dispose();
    });
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    this.clientCapabilities = params.capabilities;
    const catalog = HookCatalog.bundled();
    const settings = normaliseSettings(params.initializationOptions?.settings);
    const { target, problems } = resolveTarget(settings, catalog);
    this.requested = settings;
    this.ctx = new ServerContext(this.connection, new DocumentStore(await createCParser()), catalog, settings, target);
    this.diagnostics = new DiagnosticsFeature(this.ctx);
    this.pendingProblems = problems;
    const codeActionLiterals = !!params.capabilities.textDocument?.codeAction?.codeActionLiteralSupport;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: COMPLETION_TRIGGERS },
        // Quick fixes need code action literals; older clients would only get bare commands.
        codeActionProvider: codeActionLiterals ? { codeActionKinds: ['quickfix'] } : undefined,
      },
      serverInfo: { name: 'bpf-lsm-language-server', version: '0.1.0' },
    };
  }

  private pendingProblems: { message: string; severity: 'error' | 'warning' }[] = [];
  /** Settings as the user gave them (before the target's kernel fills gaps). */
  private requested!: BpfLsmSettings;
  private targetKernel: TargetKernelParams | undefined;

  private async onInitialized(): Promise<void> {
    this.report(this.pendingProblems);
    if (this.clientCapabilities.workspace?.configuration) await this.reloadSettings();
  }

  /** Settings come with the change notification, or are pulled (workspace/configuration) when supported. */
  private async reloadSettings(pushed?: unknown): Promise<void> {
    try {
      let raw = (pushed as Record<string, unknown> | undefined)?.[SETTINGS_SECTION];
      if (raw === undefined && this.clientCapabilities.workspace?.configuration) {
        raw = await this.connection.workspace.getConfiguration(SETTINGS_SECTION);
      }
      if (raw === undefined) return;
      this.apply(normaliseSettings(raw));
    } catch (err) {
      this.connection.console.error(`reading settings failed: ${(err as Error).stack ?? err}`);
    }
  }

  /**
   * The user's settings, with the configured target's kernel filling what they leave empty: its BTF for
   * the hook table and its release for the rules. Explicit settings always win.
   */
  private effective(settings: BpfLsmSettings): BpfLsmSettings {
    const k = this.targetKernel;
    if (!k) return settings;
    return { ...settings, btfPath: settings.btfPath || k.btfPath, kernel: settings.kernel || k.release };
  }

  private apply(settings: BpfLsmSettings, force = false): void {
    this.requested = settings;
    const effective = this.effective(settings);
    if (!force && JSON.stringify(effective) === JSON.stringify(this.ctx.settings)) return;
    const { target, problems } = resolveTarget(effective, this.ctx.catalog);
    const k = this.targetKernel;
    if (k && !settings.btfPath && target.source === `BTF of ${k.btfPath}`) target.source = `BTF of ${k.label} (${k.release})`;
    this.ctx.configure(effective, target);
    this.report(problems);
    this.connection.console.info(`checking against ${target.source}${target.note ? ` (${target.note})` : ''}`);
    this.diagnostics.scheduleAll();
  }

  private report(problems: { message: string; severity: 'error' | 'warning' }[]): void {
    for (const p of problems) {
      if (this.shownProblems.has(p.message)) continue;
      this.shownProblems.add(p.message);
      this.connection.console.warn(p.message);
      if (p.severity === 'error') void this.connection.window.showErrorMessage(p.message);
      else void this.connection.window.showWarningMessage(p.message);
    }
  }

  /** Runs a handler; an exception is logged with its stack and the request gets an empty answer. */
  private guard<T>(what: string, fn: () => T, fallback?: T): T {
    try {
      return fn();
    } catch (err) {
      this.connection.console.error(`${what} failed: ${(err as Error).stack ?? err}`);
      return fallback as T;
    }
  }
}
