// The BPF LSM language server: wiring only. Each feature (features/) registers its own handlers and
// capability; this class creates what they share, reads the settings and reports problems once.
import {
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  NotificationType,
  type ClientCapabilities,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type ServerCapabilities,
} from 'vscode-languageserver';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TargetKernelNotification, type TargetKernelParams } from '../../../common/protocol';
import { normaliseSettings, SETTINGS_SECTION, type BpfLsmSettings } from '../../../common/settings';
import { CONFIG_FILE_NAME, type ProjectConfig } from '../config/projectConfig';
import { HookCatalog } from '../hooks/catalog';
import { describeTableSource } from '../hooks/tableSource';
import { AnalysisHost } from './analysisHost';
import type { AnalysisThread } from './workerStart';
import { ServerContext } from './context';
import { DocumentStore } from './documentStore';
import { CodeActionsFeature } from './features/codeActions';
import { CompletionFeature } from './features/completion';
import { DiagnosticsFeature } from './features/diagnostics';
import { DocumentSyncFeature } from './features/documentSync';
import type { Feature } from './features/feature';
import { HoverFeature } from './features/hover';
import { createLogger, type Logger } from './logger';
import { checkSettingCodes, isWorkspaceConfig, readWorkspaceConfig, withProjectConfig, workspaceRoot } from './projectSettings';
import { resolveTarget, type TargetProblem } from './targetProvider';

const TARGET_KERNEL = new NotificationType<TargetKernelParams>(TargetKernelNotification.method);

/** Files that give local headers' directories (config/compileFlags.ts): a change re-reads them. */
const BUILD_FILES = new Set(['compile_commands.json', '.clangd']);

function localPath(uri: string): string | undefined {
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export class BpfLspServer {
  private ctx!: ServerContext;
  private diagnostics!: DiagnosticsFeature;
  private clientCapabilities: ClientCapabilities = {};
  /** Problems already shown to the user (a broken header is reported once, not on every change). */
  private readonly shownProblems = new Set<string>();

  private readonly log: Logger;

  /**
   * `workerScript`: the file the analysis worker thread runs (the server's entry, see server.ts);
   * `startAnalysis`: starts the analysis some other way (in the server's thread, for the mutation run).
   */
  constructor(
    private readonly connection: Connection,
    private readonly workerScript: string,
    private readonly startAnalysis?: () => AnalysisThread,
  ) {
    this.log = createLogger(connection.console);
  }

  register(): void {
    const c = this.connection;
    c.onInitialize((params) => this.initialize(params));
    c.onInitialized(() => void this.onInitialized());
    c.onDidChangeConfiguration((change) => void this.reloadSettings(change.settings));
    c.onDidChangeWatchedFiles((change) =>
      this.guard(
        'didChangeWatchedFiles',
        () => {
          const files = change.changes.flatMap((e) => localPath(e.uri) ?? []);
          if (files.some((f) => BUILD_FILES.has(path.basename(f)))) {
            this.ctx.buildFlagsChanged();
            this.diagnostics.scheduleAll();
          } else {
            for (const uri of this.ctx.dependentsOf(files)) this.diagnostics.schedule(uri);
          }
          if (!change.changes.some((e) => isWorkspaceConfig(e.uri, this.root))) return;
          this.report(this.readConfig());
          this.apply(this.requested, true);
        },
        undefined,
      ),
    );
    c.onNotification(TARGET_KERNEL, (params) =>
      this.guard(
        'targetKernel',
        () => {
          this.targetKernel = params.btfPath ? params : undefined;
          this.apply(this.requested, true);
        },
        undefined,
      ),
    );
    c.onShutdown(() => {
      this.diagnostics?.dispose();
      this.ctx?.dispose();
      this.ctx?.store.dispose();
    });
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    this.log.debug(`initialize ${performance.now().toFixed(0)} ms after the server process started`);
    this.clientCapabilities = params.capabilities;
    const catalog = HookCatalog.bundled();
    const settings = normaliseSettings(params.initializationOptions?.settings);
    this.root = workspaceRoot(params);
    const configProblems = this.readConfig();
    const { settings: effective, problems: settingProblems } = this.effective(settings);
    const { target, problems } = resolveTarget(effective, catalog);
    this.requested = settings;
    // Text only here: the trees live in the analysis worker.
    const store = new DocumentStore(null, (m) => this.log.info(m));
    const host = new AnalysisHost(
      this.workerScript,
      (m) => this.log.info(m),
      (entry) => store.get(entry.doc.uri) === entry,
      this.startAnalysis,
    );
    this.ctx = new ServerContext(this.connection, store, catalog, host, effective, target);
    this.ctx.includeDirs = this.includeDirs(effective);
    this.diagnostics = new DiagnosticsFeature(this.ctx);
    this.pendingProblems = [...configProblems, ...settingProblems, ...problems];
    const features: Feature[] = [
      new DocumentSyncFeature(this.ctx, this.diagnostics),
      new HoverFeature(this.ctx),
      new CompletionFeature(this.ctx),
      new CodeActionsFeature((uri) => store.get(uri)?.doc.getText()),
    ];
    const capabilities: ServerCapabilities = {};
    const guard = <T>(what: string, fn: () => T | Promise<T>, fallback: T) => this.guard(what, fn, fallback);
    for (const feature of features) feature.register(this.connection, capabilities, params.capabilities, guard);
    return {
      capabilities,
      serverInfo: { name: 'bpf-lsm-language-server', version: '0.1.0' },
    };
  }

  private pendingProblems: TargetProblem[] = [];
  /** The workspace folder's root, where bpf-lsm.config.json is looked for. */
  private root: string | undefined;
  /** The workspace's bpf-lsm.config.json, when there is one that is valid. */
  private config: ProjectConfig | undefined;
  /** Settings as the user gave them (before the target's kernel fills gaps). */
  private requested!: BpfLsmSettings;
  private targetKernel: TargetKernelParams | undefined;

  private async onInitialized(): Promise<void> {
    this.report(this.pendingProblems);
    const workspace = this.clientCapabilities.workspace;
    // Pulled settings: the client says that they changed, the server asks for them.
    if (workspace?.configuration && workspace.didChangeConfiguration?.dynamicRegistration) {
      await this.connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION });
    }
    // The config file is re-read when it changes: the client watches it for the server.
    if (this.root && workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      await this.connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: `**/${CONFIG_FILE_NAME}` }],
      });
    }
    // Local headers, and what gives their directories: documents that include them are analysed again.
    if (workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      await this.connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{h,hh,hpp,inc}' }, ...[...BUILD_FILES].map((name) => ({ globPattern: `**/${name}` }))],
      });
    }
    if (workspace?.configuration) await this.reloadSettings();
  }

  /** (Re)reads the workspace's config file; a malformed one is ignored, and said once. */
  private readConfig(): TargetProblem[] {
    const { config, problem } = readWorkspaceConfig(this.root);
    this.config = config;
    return problem ? [problem] : [];
  }

  /** Settings are pulled (workspace/configuration) when the client can; otherwise taken from the notification. */
  private async reloadSettings(pushed?: unknown): Promise<void> {
    try {
      let raw: unknown;
      if (this.clientCapabilities.workspace?.configuration) {
        raw = await this.connection.workspace.getConfiguration(SETTINGS_SECTION);
      } else if (pushed && typeof pushed === 'object' && Object.hasOwn(pushed, SETTINGS_SECTION)) {
        // Object.hasOwn: what the client pushed is user data, and a plain object inherits `constructor`.
        raw = (pushed as Record<string, unknown>)[SETTINGS_SECTION];
      }
      if (raw === undefined) return;
      this.apply(normaliseSettings(raw));
    } catch (err) {
      this.log.error(`reading settings failed: ${(err as Error).stack ?? err}`);
    }
  }

  /**
   * The user's settings (unknown check codes dropped, and said), over the workspace's config file, with
   * the configured target's kernel filling what both leave empty: its BTF for the hook table and its
   * release for the rules. Explicit settings always win.
   */
  private effective(raw: BpfLsmSettings): { settings: BpfLsmSettings; problems: TargetProblem[] } {
    const { settings: checked, problems } = checkSettingCodes(raw);
    const settings = withProjectConfig(checked, this.config);
    const k = this.targetKernel;
    if (!k) return { settings, problems };
    return { settings: { ...settings, btfPath: settings.btfPath || k.btfPath, kernel: settings.kernel || k.release }, problems };
  }

  private apply(settings: BpfLsmSettings, force = false): void {
    this.requested = settings;
    const { settings: effective, problems: settingProblems } = this.effective(settings);
    this.report(settingProblems);
    if (!force && JSON.stringify(effective) === JSON.stringify(this.ctx.settings)) return;
    const k = this.targetKernel;
    // The target's BTF, when it is what fills an empty btfPath, is called by the target's name; with its
    // probe (lsm-probe's output) when the target's release is the kernel too.
    const btfLabel =
      k && effective.btfPath === k.btfPath && !withProjectConfig(settings, this.config).btfPath
        ? { label: k.label, release: k.release, ...(k.probePath && effective.kernel === k.release ? { probePath: k.probePath } : {}) }
        : undefined;
    const { target, problems } = resolveTarget(effective, this.ctx.catalog, btfLabel);
    this.ctx.includeDirs = this.includeDirs(effective);
    this.ctx.configure(effective, target);
    this.report(problems);
    this.log.info(`checking against ${describeTableSource(target.source)}${target.note ? ` (${target.note})` : ''}`);
    this.diagnostics.scheduleAll();
  }

  /** The include directories to read local headers from: relative ones against the workspace folder. */
  private includeDirs(settings: BpfLsmSettings): string[] {
    return settings.includePaths.map((p) => path.resolve(this.root ?? process.cwd(), p));
  }

  private report(problems: TargetProblem[]): void {
    for (const p of problems) {
      if (this.shownProblems.has(p.message)) continue;
      this.shownProblems.add(p.message);
      this.log.warn(p.message);
      if (p.severity === 'error') void this.connection.window.showErrorMessage(p.message);
      else void this.connection.window.showWarningMessage(p.message);
    }
  }

  /**
   * Runs a handler; an exception (thrown or rejected) is logged with its stack, shown to the user once
   * per handler and error, and the request gets `fallback`.
   */
  private guard<T>(what: string, fn: () => T | Promise<T>, fallback: T): T | Promise<T> {
    try {
      const result = fn();
      return result instanceof Promise ? result.catch((err: unknown) => this.failed(what, err, fallback)) : result;
    } catch (err) {
      return this.failed(what, err, fallback);
    }
  }

  private failed<T>(what: string, err: unknown, fallback: T): T {
    this.log.error(`${what} failed: ${(err as Error)?.stack ?? err}`);
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.report([
      { severity: 'error', message: `BPF LSM language server: handling ${what} failed (${why}); the output channel has the details.` },
    ]);
    return fallback;
  }
}
