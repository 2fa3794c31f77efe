// Run on Target: compile the program in the editor, attach it on the configured target over SSH, stream
// its bpf_printk lines, run the probe, detach. Holds the one SSH connection, the preflight of the
// target, the attachment sessions and the trace stream; every step reports to the log and the user.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TARGET_KERNEL_NOTIFICATION, type TargetKernelParams } from '../../common/protocol';
import { normaliseTargetSettings, TARGET_SECTION, type TargetSettings } from '../../common/targetSettings';
import { AttachError, AttachSession } from './remote/attachSession';
import { compileProgram, fetchTargetBtf } from './remote/buildBpf';
import { preflight, type PreflightReport } from './remote/preflight';
import { SshConnection, SshError } from './remote/sshConnection';
import { parseTarget } from './remote/sshTarget';
import { TraceStream } from './remote/traceStream';
import { TracePanel } from './tracePanel';

const REMOTE_DIR = '/tmp/bpf-lsm-studio';
const PIN_ROOT = '/sys/fs/bpf/bpf-lsm-studio';

export interface RunResult {
  attached: { name: string; section: string }[];
  kernelRelease: string;
  bpfActive: boolean;
  probe?: ProbeResult;
}

export interface ProbeResult {
  command: string;
  denied: boolean;
  exitCode: number | undefined;
  output: string;
}

export class TargetController implements vscode.Disposable {
  private connection: SshConnection | undefined;
  private report: PreflightReport | undefined;
  private readonly sessions = new Map<string, AttachSession>();
  private trace: TraceStream | undefined;
  readonly panel: TracePanel;
  private readonly buildDiagnostics = vscode.languages.createDiagnosticCollection('bpf-lsm-build');
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly btfCache: string;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel, private readonly client: () => LanguageClient | undefined) {
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
    const t = this.connection?.target;
    const same = t && t.destination === s.destination && (t.configFile ?? '') === s.sshConfigFile &&
      (t.identityFile ?? '') === s.identityFile && !!t.sudo === s.sudo;
    if (same) return;
    await this.disconnect();
    this.updateStatus();
  }

  private requireTrust(): void {
    if (!vscode.workspace.isTrusted) throw new Error('This workspace is not trusted: nothing runs on a remote target. Trust the workspace to use Run on Target.');
  }

  private async connect(): Promise<SshConnection> {
    if (this.connection) return this.connection;
    const s = this.settings();
    const target = parseTarget({ destination: s.destination, identityFile: s.identityFile || undefined, configFile: s.sshConfigFile || undefined, sudo: s.sudo });
    const conn = new SshConnection(target);
    try {
      await conn.check(['true'], { timeoutMs: 30_000 });
    } catch (err) {
      if (err instanceof SshError && err.kind === 'unknown-host-key') {
        const keys = await conn.scanHostKeys();
        const choice = await vscode.window.showWarningMessage(
          `The host key of ${target.label} is not known. Connect only if these fingerprints are the target's:\n${keys}`,
          { modal: true }, 'Trust and Connect');
        if (choice !== 'Trust and Connect') {
          await conn.close();
          throw new Error(`Not connected: the host key of ${target.label} was not accepted.`);
        }
        conn.acceptNewHostKeys();
        await conn.check(['true'], { timeoutMs: 30_000 });
      } else {
        await conn.close();
        throw err;
      }
    }
    this.connection = conn;
    this.log.info(`connected to ${target.label}`);
    return conn;
  }

  /** Preflight, once per connection; re-run with `fresh`. */
  async preflight(fresh = false): Promise<PreflightReport> {
    const conn = await this.connect();
    if (!this.report || fresh) {
      this.report = await preflight(conn);
      this.log.info(`target ${conn.target.label}: kernel ${this.report.kernelRelease}, LSMs ${this.report.lsms.join(',') || '(none)'}`);
    }
    return this.report;
  }

  /** Compile, attach and trace the document's programs; the whole "Run on Target" command. */
  async run(doc: vscode.TextDocument, options: { attachWithoutBpf?: boolean } = {}): Promise<RunResult | undefined> {
    this.requireTrust();
    if (doc.isDirty) await doc.save();
    const s = this.settings();
    const report = await this.preflight();
    if (report.blockers.length > 0) throw new Error(`${this.connection!.target.label} cannot run BPF LSM programs: ${report.blockers.join(' ')}`);
    for (const w of report.warnings) this.log.warn(w);
    if (!report.bpfActive && !options.attachWithoutBpf) {
      const choice = await vscode.window.showWarningMessage(report.warnings[0], { modal: true }, 'Attach Anyway');
      if (choice !== 'Attach Anyway') return undefined;
    }
    const conn = this.connection!;

    const btf = await fetchTargetBtf(conn, this.btfCache);
    const kernelParams: TargetKernelParams = { btfPath: btf.btfFile, release: report.kernelRelease, label: conn.target.label };
    void this.client()?.sendNotification(TARGET_KERNEL_NOTIFICATION, kernelParams);

    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-build-'));
    const object = path.join(local, path.basename(doc.fileName).replace(/\.c$/, '') + '.o');
    try {
      const built = await compileProgram(doc.fileName, object, btf.dir, report.machine);
      this.showCompilerMessages(doc, built.messages);
      if (!built.ok) {
        this.log.error(built.output);
        throw new Error(`clang could not compile ${path.basename(doc.fileName)}: see Problems.`);
      }
      await this.detach(doc.uri);
      const remoteObject = `${REMOTE_DIR}/${path.basename(object)}`;
      await conn.check(['mkdir', '-p', REMOTE_DIR], { privileged: true });
      await conn.copyTo(object, remoteObject, true);
      const loader = await this.ensureLoader(conn, report);
      const pinDir = s.pin ? `${PIN_ROOT}/${path.basename(object, '.o').replace(/[^A-Za-z0-9_.-]/g, '_')}` : undefined;
      let session: AttachSession;
      try {
        session = await AttachSession.start(conn, loader, remoteObject, { pinDir });
      } catch (err) {
        if (err instanceof AttachError) this.showVerifierFailure(doc, err);
        throw err;
      }
      this.sessions.set(doc.uri.toString(), session);
      session.onExit(() => {
        if (this.sessions.get(doc.uri.toString()) !== session) return;
        if (!session.pinned) {
          this.sessions.delete(doc.uri.toString());
          this.log.warn(`${path.basename(doc.fileName)}: the attach session on ${conn.target.label} ended; its programs are detached`);
        }
        this.updateStatus();
      });
      this.log.info(`attached ${session.attached.map((p) => `${p.name} (${p.section})`).join(', ')} on ${conn.target.label}${pinDir ? `, pinned in ${pinDir}` : ''}`);
      await this.startTrace();
      this.updateStatus();
      const result: RunResult = { attached: session.attached, kernelRelease: report.kernelRelease, bpfActive: report.bpfActive };
      if (s.probeCommand) result.probe = await this.runProbe(s.probeCommand);
      return result;
    } finally {
      fs.rmSync(local, { recursive: true, force: true });
    }
  }

  /** lsm-loader on the target: its own if on PATH, else the one shipped with the extension, copied over. */
  private async ensureLoader(conn: SshConnection, report: PreflightReport): Promise<string> {
    if (report.loaderInstalled) return 'lsm-loader';
    const shipped = this.context.asAbsolutePath(path.join('dist', `lsm-loader-${report.machine}`));
    if (!fs.existsSync(shipped)) throw new Error(`${conn.target.label} has no lsm-loader and none is shipped for ${report.machine}.`);
    const remote = `${REMOTE_DIR}/lsm-loader`;
    await conn.copyTo(shipped, remote, true);
    await conn.check(['chmod', '+x', remote], { privileged: true });
    return remote;
  }

  async startTrace(): Promise<void> {
    if (this.trace?.running) return;
    const conn = await this.connect();
    const report = await this.preflight();
    if (!report.tracefs) return;
    this.trace = new TraceStream(conn, report.tracefs, {
      line: (l) => this.panel.append(l),
      status: (t) => {
        this.panel.note(t);
        this.log.info(`trace: ${t}`);
      },
    });
    await this.trace.start();
    this.panel.show();
  }

  async stopTrace(): Promise<void> {
    await this.trace?.stop();
    this.trace = undefined;
  }

  /** Runs the probe on the target and says whether it was denied with EPERM. */
  async runProbe(command: string): Promise<ProbeResult> {
    this.requireTrust();
    const conn = await this.connect();
    const r = await conn.run(['sh', '-c', command], { timeoutMs: 60_000 });
    const output = (r.stdout + r.stderr).trim();
    const denied = r.exitCode !== 0 && /Operation not permitted|EPERM/.test(output);
    const result: ProbeResult = { command, denied, exitCode: r.exitCode, output };
    this.log.info(`probe '${command}': exit ${r.exitCode}, ${denied ? 'denied with EPERM' : 'not denied'}: ${output}`);
    return result;
  }

  /** Detaches the programs of one document, or all. */
  async detach(uri?: vscode.Uri): Promise<number> {
    const keys = uri ? [uri.toString()] : [...this.sessions.keys()];
    let count = 0;
    for (const key of keys) {
      const session = this.sessions.get(key);
      if (!session) continue;
      this.sessions.delete(key);
      await session.detach();
      // Only this session's pins: other programs pinned on the target are not ours to remove.
      if (session.pinDir && this.connection) await this.connection.check(['rm', '-rf', session.pinDir], { privileged: true });
      count += session.attached.length;
    }
    this.updateStatus();
    return count;
  }

  /** What is attached, as known here and as pinned on the target. */
  async status(): Promise<{ target: string; kernel?: string; bpfActive?: boolean; attached: string[]; pinned: string[] }> {
    const s = this.settings();
    const attached = [...this.sessions.values()].flatMap((x) => x.attached.map((p) => `${p.name} (${p.section})`));
    if (!this.connection) return { target: s.destination || '(none)', attached, pinned: [] };
    const report = await this.preflight();
    const pinned = (await this.connection.run(['sh', '-c', `ls ${PIN_ROOT} 2>/dev/null`], { privileged: true })).stdout.split('\n').filter(Boolean);
    return { target: this.connection.target.label, kernel: report.kernelRelease, bpfActive: report.bpfActive, attached, pinned };
  }

  get attachedCount(): number {
    return [...this.sessions.values()].reduce((n, s) => n + s.attached.length, 0);
  }

  private showCompilerMessages(doc: vscode.TextDocument, messages: { file: string; line: number; column: number; severity: string; message: string }[]): void {
    const diagnostics = messages
      .filter((m) => m.severity !== 'note' && path.resolve(m.file) === path.resolve(doc.fileName))
      .map((m) => {
        const pos = new vscode.Position(Math.max(0, m.line - 1), Math.max(0, m.column - 1));
        const d = new vscode.Diagnostic(new vscode.Range(pos, pos), m.message, m.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        d.source = 'clang';
        return d;
      });
    this.buildDiagnostics.set(doc.uri, diagnostics);
  }

  private showVerifierFailure(doc: vscode.TextDocument, err: AttachError): void {
    this.log.error(`verifier log:\n${err.failure.log}`);
    const text = doc.getText();
    const name = err.failure.program;
    const at = name ? text.search(new RegExp(`BPF_PROG\\w*\\s*\\(\\s*${name}\\b|\\b${name}\\s*\\(`)) : -1;
    const pos = doc.positionAt(Math.max(0, at));
    const line = doc.lineAt(pos.line).range;
    const d = new vscode.Diagnostic(line, `The kernel refused ${name ?? 'this program'}: ${err.failure.firstError}`, vscode.DiagnosticSeverity.Error);
    d.source = 'verifier';
    this.buildDiagnostics.set(doc.uri, [d]);
  }

  private updateStatus(): void {
    const s = this.settings();
    if (!s.destination) {
      this.statusItem.hide();
      return;
    }
    const pinned = [...this.sessions.values()].some((x) => x.pinned);
    const n = this.attachedCount;
    this.statusItem.text = `$(remote) ${s.destination}${n ? ` · ${n} attached${pinned ? ' (pinned)' : ''}` : ''}`;
    this.statusItem.tooltip = n ? 'BPF LSM programs attached on the target; click for status' : 'BPF LSM target; click for status';
    this.statusItem.show();
  }

  private async disconnect(): Promise<void> {
    await this.stopTrace();
    for (const session of this.sessions.values()) if (!session.pinned) await session.detach();
    this.sessions.clear();
    await this.connection?.close();
    this.connection = undefined;
    this.report = undefined;
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
