// Run on Target in the editor: a thin adapter over the remote engine (remote/targetSession.ts). The engine
// connects, checks, compiles, attaches, probes, traces and detaches; this class adds what needs VS Code:
// workspace trust, the host-key and "attach anyway" prompts, clang's and the verifier's messages in
// Problems, the status bar, the trace panel, and the target's BTF (and what its kernel said when probed)
// handed to the language server.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NotificationType, type LanguageClient } from 'vscode-languageclient/node';
import { TargetKernelNotification, type TargetKernelParams } from '../../common/protocol';
import { normaliseTargetSettings, TARGET_SECTION, type TargetSettings } from '../../common/targetSettings';
import { AttachError, type AttachSession } from '../../engine/src/attachSession';
import type { CompilerMessage } from '../../engine/src/buildBpf';
import type { PreflightReport } from '../../engine/src/preflight';
import type { ProbeResult } from '../../engine/src/probe';
import { CompileError, type CompiledObject, TargetSession, type TargetStatus } from '../../engine/src/targetSession';
import type { TraceStreamOptions } from '../../engine/src/traceStream';
import { isToolVmSshConfig, lockoutRisks } from '../../policy/src/lockoutGuard';
import { compilerDiagnostic, sshTargetSettings } from './engineAdapters';
import { confirmLockout } from './lockoutPrompt';
import { TracePanel } from './tracePanel';

export type { ProbeResult } from '../../engine/src/probe';

const TARGET_KERNEL = new NotificationType<TargetKernelParams>(TargetKernelNotification.method);

export interface RunResult {
  attached: { name: string; section: string }[];
  kernelRelease: string;
  bpfActive: boolean;
  probe?: ProbeResult;
}

export class TargetController implements vscode.Disposable {
  private engine: TargetSession | undefined;
  readonly panel: TracePanel;
  private readonly buildDiagnostics = vscode.languages.createDiagnosticCollection('bpf-lsm-build');
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly btfCache: string;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly client: () => LanguageClient | undefined,
  ) {
    this.panel = new TracePanel(this.settings().traceMaxLines);
    this.btfCache = path.join(context.globalStorageUri.fsPath, 'btf');
    this.statusItem.command = 'bpfLsm.targetStatus';
    this.updateStatus();
  }

  settings(): TargetSettings {
    return normaliseTargetSettings(vscode.workspace.getConfiguration(TARGET_SECTION) as unknown as Record<string, unknown>);
  }

  /** Settings changed: drop the connection and what was learnt about the old target. */
  async onSettingsChanged(): Promise<void> {
    this.panel.setMaxLines(this.settings().traceMaxLines);
    const s = this.settings();
    const t = this.engine?.connection?.target;
    const same =
      t &&
      t.destination === s.destination &&
      (t.configFile ?? '') === s.sshConfigFile &&
      (t.identityFile ?? '') === s.identityFile &&
      !!t.sudo === s.sudo;
    if (same) return;
    await this.disconnect();
    this.updateStatus();
  }

  private requireTrust(): void {
    if (!vscode.workspace.isTrusted)
      throw new Error('This workspace is not trusted: nothing runs on a remote target. Trust the workspace to use Run on Target.');
  }

  /** The engine for the configured target, connected (an unknown host key is shown to the user first). */
  private async connect(): Promise<TargetSession> {
    if (!this.engine) {
      const s = this.settings();
      this.engine = new TargetSession(sshTargetSettings(s), {
        btfCache: this.btfCache,
        shippedLoader: (machine) => this.context.asAbsolutePath(path.join('dist', `lsm-loader-${machine}`)),
        shippedActionHelper: (machine) => this.context.asAbsolutePath(path.join('dist', `lsm-action-${machine}`)),
        shippedProber: (machine) => this.context.asAbsolutePath(path.join('dist', `lsm-probe-${machine}`)),
        confirmHostKey: async (label, keys) => {
          const choice = await vscode.window.showWarningMessage(
            `The host key of ${label} is not known. Connect only if these fingerprints are the target's:\n${keys}`,
            { modal: true },
            'Trust and Connect',
          );
          return choice === 'Trust and Connect';
        },
        log: this.log,
        onAttachmentsChanged: () => this.updateStatus(),
      });
    }
    const engine = this.engine;
    await engine.connect();
    return engine;
  }

  /** The engine on the configured target, connected: Verify on Target loads through it. Refused in an untrusted workspace. */
  async session(): Promise<TargetSession> {
    this.requireTrust();
    return this.connect();
  }

  /** Preflight, once per connection; re-run with `fresh`. */
  async preflight(fresh = false): Promise<PreflightReport> {
    return (await this.connect()).preflight(fresh);
  }

  /** Compile, attach and trace the document's programs; the whole "Run on Target" command. */
  async run(doc: vscode.TextDocument, options: { attachWithoutBpf?: boolean } = {}): Promise<RunResult | undefined> {
    this.requireTrust();
    if (doc.isDirty) await doc.save();
    const s = this.settings();
    if (!isToolVmSshConfig(s.sshConfigFile)) {
      const risks = await lockoutRisks(doc.fileName);
      if (risks.length > 0 && !(await confirmLockout(risks, s.destination))) return undefined;
    }
    const engine = await this.connect();
    const report = await engine.requireRunnable();
    for (const w of report.warnings) this.log.warn(w);
    if (!report.bpfActive && !options.attachWithoutBpf) {
      const choice = await vscode.window.showWarningMessage(report.warnings[0], { modal: true }, 'Attach Anyway');
      if (choice !== 'Attach Anyway') return undefined;
    }

    const btf = await engine.btf();
    const kernelParams: TargetKernelParams = { btfPath: btf.btfFile, release: report.kernelRelease, label: engine.label };
    void this.client()?.sendNotification(TARGET_KERNEL, kernelParams);
    void this.sendProbedHooks(engine, kernelParams);

    let compiled: CompiledObject;
    try {
      compiled = await engine.compile(doc.fileName);
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      this.showCompilerMessages(doc, err.compiled.messages);
      this.log.error(err.compiled.output);
      throw new Error(`clang could not compile ${path.basename(doc.fileName)}: see Problems.`, { cause: err });
    }
    this.showCompilerMessages(doc, compiled.messages);
    let session: AttachSession;
    try {
      session = await engine.attachObject(compiled.object, { key: doc.uri.toString(), name: path.basename(doc.fileName), pin: s.pin });
    } catch (err) {
      if (err instanceof AttachError) this.showVerifierFailure(doc, err);
      throw err;
    }
    await this.startTrace();
    this.updateStatus();
    const result: RunResult = { attached: session.attached, kernelRelease: report.kernelRelease, bpfActive: report.bpfActive };
    if (s.probeCommand) result.probe = await this.runProbe(s.probeCommand);
    return result;
  }

  /**
   * Asks the target's kernel what it allows on each hook (lsm-probe, cached by the BTF's checksum: once per
   * kernel build) and hands that to the language server, whose hovers then say "probed on <target>". Runs
   * beside the compile; a failure leaves the BTF and its release's rules in use, and is logged.
   */
  private async sendProbedHooks(engine: TargetSession, params: TargetKernelParams): Promise<void> {
    try {
      const { file } = await engine.probeHooks();
      if (this.engine === engine) void this.client()?.sendNotification(TARGET_KERNEL, { ...params, probePath: file });
    } catch (err) {
      this.log.warn(
        `probing the hooks of ${engine.label} failed: ${(err as Error).message}; its BTF and the rules of its release are used`,
      );
    }
  }

  /** Streams the target's trace into the panel; `options.command` (tests and diagnostics only) reads a generator instead. */
  async startTrace(options: TraceStreamOptions = {}): Promise<void> {
    const engine = await this.connect();
    if (engine.tracing) return;
    const trace = await engine.startTrace(
      {
        lines: (batch) => this.panel.appendLines(batch),
        status: (t) => {
          this.panel.note(t);
          this.log.info(`trace: ${t}`);
        },
      },
      options,
    );
    if (trace) this.panel.show();
  }

  async stopTrace(): Promise<void> {
    await this.engine?.stopTrace();
  }

  /** Runs the probe on the target and says whether it was denied with EPERM. */
  async runProbe(command: string): Promise<ProbeResult> {
    this.requireTrust();
    return (await this.connect()).probe(command);
  }

  /** Detaches the programs of one document, or all. */
  async detach(uri?: vscode.Uri): Promise<number> {
    const n = this.engine ? await this.engine.detach(uri?.toString()) : 0;
    this.updateStatus();
    return n;
  }

  /** What is attached, as known here and as pinned on the target. */
  async status(): Promise<TargetStatus> {
    if (!this.engine) return { target: this.settings().destination || '(none)', attached: [], pinned: [] };
    return this.engine.status();
  }

  get attachedCount(): number {
    return this.engine?.attachedCount ?? 0;
  }

  private showCompilerMessages(doc: vscode.TextDocument, messages: CompilerMessage[]): void {
    const diagnostics = messages
      .filter((m) => m.severity !== 'note' && path.resolve(m.file) === path.resolve(doc.fileName))
      .map((m) => compilerDiagnostic(m, 'clang'));
    this.buildDiagnostics.set(doc.uri, diagnostics);
  }

  private showVerifierFailure(doc: vscode.TextDocument, err: AttachError): void {
    this.log.error(`verifier log:\n${err.failure.log}`);
    const text = doc.getText();
    const name = err.failure.program;
    const at = name ? text.search(new RegExp(`BPF_PROG\\w*\\s*\\(\\s*${name}\\b|\\b${name}\\s*\\(`)) : -1;
    const pos = doc.positionAt(Math.max(0, at));
    const line = doc.lineAt(pos.line).range;
    const d = new vscode.Diagnostic(
      line,
      `The kernel refused ${name ?? 'this program'}: ${err.failure.firstError}`,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = 'verifier';
    this.buildDiagnostics.set(doc.uri, [d]);
  }

  private updateStatus(): void {
    const s = this.settings();
    if (!s.destination) {
      this.statusItem.hide();
      return;
    }
    const pinned = [...(this.engine?.attachments.values() ?? [])].some((x) => x.pinned);
    const n = this.attachedCount;
    this.statusItem.text = `$(remote) ${s.destination}${n ? ` · ${n} attached${pinned ? ' (pinned)' : ''}` : ''}`;
    this.statusItem.tooltip = n ? 'BPF LSM programs attached on the target; click for status' : 'BPF LSM target; click for status';
    this.statusItem.show();
  }

  private async disconnect(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    await engine?.close();
  }

  /** Detaches session-held programs, stops the trace, closes the connection. */
  async shutdown(): Promise<void> {
    await this.disconnect();
  }

  dispose(): void {
    void this.shutdown();
    this.panel.dispose();
    this.buildDiagnostics.dispose();
    this.statusItem.dispose();
  }
}
