// Verify on Target in the editor: a thin adapter over the engine's verify pipeline (engine/src/verify.ts).
// It picks the kernels (the configured target, else the local test VMs of bpfLsm.test.kernels through
// the Testing view's VM pool, so running VMs serve both), drops results of a file that changed since,
// and presents what came back: refusals as `verifier-rejected` diagnostics at the failing line (the
// verifier's message, an explanation, the failing path as related information, the kernels side by
// side), a CodeLens per program with each kernel's figures, and the verifier's log on demand. Nothing is
// loaded anywhere from an untrusted workspace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from '../../../common/settings';
import { isSeverity, type Severity } from '../../../common/severity';
import {
  explainVerifierMessage,
  groupRefusals,
  kernelsText,
  nearLimitText,
  programLensText,
  type Refusal,
  type VerifyResult,
  verifySource,
} from '../../../engine/src';
import { seriesOf } from '../../../policy/src/runner';
import { projectConfigFor } from '../../../policy/src/testKernels';
import type { ProjectConfig } from '../../../server/src/config/projectConfig';
import { registerCommand } from '../commands';
import { compilerDiagnostic } from '../engineAdapters';
import { defaultKernelsFor } from '../policyTests/testSettings';
import type { TestVms } from '../policyTests/testVms';
import type { TargetController } from '../targetController';
import type { AgreeingDiagnostics, ProgramLines } from './agreeingDiagnostics';
import { VerifierLogView } from './verifierLogView';

export const VERIFIER_REJECTED = 'verifier-rejected';
const SOURCE = 'BPF verifier';

/** What Verify on Target returns (for the end-to-end tests and other extensions). */
export interface VerifyOutcome {
  file: string;
  /** Where it ran: `target <label>` or `test VMs`. */
  place: string;
  results: VerifyResult[];
  /** False when the file changed while it ran: nothing was shown. */
  shown: boolean;
}

export class VerifyController implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('bpf-lsm-verifier');
  /** Bumped on every change of a document: a result for an older generation is stale. */
  private readonly generations = new Map<string, number>();
  /** The last shown results per document. */
  private readonly shown = new Map<string, VerifyResult[]>();
  private readonly lensChanged = new vscode.EventEmitter<void>();
  private readonly hintsChanged = new vscode.EventEmitter<void>();
  /** Per-line instruction counts (the verifier's level-2 log) as inlay hints: toggled by a command. */
  private instructionCounts = false;
  private readonly logs = new VerifierLogView();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusItem = vscode.window.createStatusBarItem('bpfLsm.verify', vscode.StatusBarAlignment.Left, 48);

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly target: TargetController,
    private readonly vms: () => TestVms,
    private readonly agreeing: AgreeingDiagnostics,
  ) {
    this.statusItem.name = 'BPF LSM verifier';
    this.disposables.push(
      this.logs.register(),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.bump(e.document.uri);
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => void this.onSaved(doc)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.generations.delete(doc.uri.toString());
      }),
      vscode.languages.registerCodeLensProvider(
        { language: 'c' },
        { provideCodeLenses: (doc) => this.codeLenses(doc), onDidChangeCodeLenses: this.lensChanged.event },
      ),
      vscode.languages.registerInlayHintsProvider(
        { language: 'c' },
        { provideInlayHints: (doc, range) => this.inlayHints(doc, range), onDidChangeInlayHints: this.hintsChanged.event },
      ),
      vscode.languages.registerCodeActionsProvider(
        { language: 'c' },
        { provideCodeActions: (doc, _range, ctx) => this.codeActions(doc, ctx) },
      ),
    );
    registerCommand(context, log, 'bpfLsm.verify', (uri?: vscode.Uri) => this.verifyCommand(uri));
    registerCommand(context, log, 'bpfLsm.toggleInstructionCounts', () => this.toggleInstructionCounts());
    registerCommand(context, log, 'bpfLsm.showVerifierLog', (uri?: string, program?: string, kernel?: string) =>
      this.showLog(uri, program, kernel),
    );
  }

  private bump(uri: vscode.Uri): number {
    const key = uri.toString();
    const next = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, next);
    return next;
  }

  private verifyOnSave(doc: vscode.TextDocument): boolean {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION, doc.uri).get<boolean>('verifyOnSave') === true;
  }

  private async onSaved(doc: vscode.TextDocument): Promise<void> {
    if (!this.verifyOnSave(doc) || !vscode.workspace.isTrusted || !/\.bpf\.c$/.test(doc.fileName)) return;
    try {
      await this.verify(doc);
    } catch (err) {
      // On save a failure is a line in the log and the status bar, not a pop-up each time.
      this.log.warn(`verify on save of ${path.basename(doc.fileName)}: ${(err as Error).message}`);
      this.setStatus(`$(error) verify failed`, (err as Error).message);
    }
  }

  private async verifyCommand(uri?: vscode.Uri): Promise<VerifyOutcome | undefined> {
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== 'c') throw new Error('Open the BPF C file to verify (a .bpf.c file) first.');
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Verifying ${path.basename(doc.fileName)}` }, () =>
      this.verify(doc),
    );
  }

  /** Compiles and loads the document's programs on each kernel; shows the results unless the file changed meanwhile. */
  async verify(doc: vscode.TextDocument): Promise<VerifyOutcome> {
    if (!vscode.workspace.isTrusted)
      throw new Error('This workspace is not trusted: nothing is loaded on a target or a test VM. Trust the workspace to verify.');
    if (doc.isDirty) await doc.save();
    const generation = this.bump(doc.uri);
    const file = doc.fileName;
    this.setStatus('$(sync~spin) verifying', `Verifying ${path.basename(file)}`);
    const started = Date.now();
    const logLevel = this.instructionCounts ? 2 : 1;
    let place: string;
    let results: VerifyResult[];
    if (this.target.settings().destination) {
      const session = await this.target.session();
      const report = await session.preflight();
      place = `target ${session.label}`;
      results = await verifySource(session, file, { kernel: seriesOf(report.kernelRelease), logLevel });
    } else {
      const kernels = defaultKernelsFor(file, (m) => this.log.warn(`verify: ${m}`));
      place = `test VMs (${kernels.join(', ')})`;
      const pool = await this.vms().acquirePool();
      const perKernel = await Promise.all(
        kernels.map(async (kernel) => {
          const lease = await pool.acquire(kernel);
          try {
            return await verifySource(lease.session, file, { kernel, logLevel });
          } finally {
            pool.release(lease);
          }
        }),
      );
      results = perKernel.flat();
    }
    const fresh = this.generations.get(doc.uri.toString()) === generation;
    this.log.info(
      `verify ${path.basename(file)} on ${place} in ${Date.now() - started} ms: ${results.map((r) => `${r.program || '(compile)'}@${r.kernel} ${r.verdict}`).join(', ')}${fresh ? '' : ' (the file changed meanwhile: not shown)'}`,
    );
    if (fresh) this.show(doc, results);
    else this.setStatus('', '');
    return { file, place, results, shown: fresh };
  }

  private show(doc: vscode.TextDocument, results: VerifyResult[]): void {
    this.shown.set(doc.uri.toString(), results);
    const severity = this.severity(doc.uri);
    const diagnostics: vscode.Diagnostic[] = [];
    if (severity !== undefined) {
      for (const r of results.filter((x) => x.verdict === 'compile-error')) {
        if (r.line === null) continue;
        const d = compilerDiagnostic(
          {
            file: r.failedFile ?? r.file,
            line: r.line,
            column: r.column ?? 1,
            severity: 'error',
            message: `${r.message} (clang, for ${r.kernel})`,
          },
          'clang',
        );
        diagnostics.push(d);
      }
      const refusals = groupRefusals(results).filter((r) => path.resolve(r.file) === path.resolve(doc.fileName));
      this.agreeing.setRefusals(doc.uri, refusals, this.programSpans(doc, results));
      for (const refusal of refusals) {
        // A static finding on that line for the same reason already says it, naming the verifier too.
        if (this.agreeing.namedByStatic(doc.uri, refusal)) continue;
        diagnostics.push(this.refusalDiagnostic(doc, refusal, severity));
      }
      for (const r of results) {
        const warn = nearLimitText(r);
        const line = warn ? this.programLine(doc, r.program) : undefined;
        if (warn && line !== undefined) {
          const d = new vscode.Diagnostic(doc.lineAt(line).range, warn, vscode.DiagnosticSeverity.Warning);
          d.source = SOURCE;
          diagnostics.push(d);
        }
      }
    }
    this.diagnostics.set(doc.uri, diagnostics);
    this.lensChanged.fire();
    this.hintsChanged.fire();
    const refused = results.filter((r) => r.verdict !== 'verified').length;
    this.setStatus(
      refused > 0 ? `$(error) ${refused} refused` : `$(check) verified`,
      refused > 0 ? 'Some programs were refused: see Problems' : `Every program of ${path.basename(doc.fileName)} verified`,
    );
  }

  /**
   * bpfLsm.severity / disabledChecks for verifier-rejected, else the project's bpf-lsm.config.json (as for
   * every other check: a setting wins over the file); undefined when it is turned off.
   */
  private severity(uri: vscode.Uri): vscode.DiagnosticSeverity | undefined {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, uri);
    let project: ProjectConfig | undefined;
    try {
      project = projectConfigFor(uri.fsPath);
    } catch (err) {
      this.log.warn(`${(err as Error).message}; its settings for ${VERIFIER_REJECTED} are not used`);
    }
    const disabled = config.inspect<string[]>('disabledChecks');
    const setDisabled = disabled?.workspaceFolderValue ?? disabled?.workspaceValue ?? disabled?.globalValue;
    if ((setDisabled ?? project?.disabledChecks ?? []).includes(VERIFIER_REJECTED)) return undefined;
    const set = config.get<Record<string, unknown>>('severity')?.[VERIFIER_REJECTED];
    const s = set ?? project?.severity?.[VERIFIER_REJECTED];
    const map: Record<Severity, vscode.DiagnosticSeverity> = {
      error: vscode.DiagnosticSeverity.Error,
      warning: vscode.DiagnosticSeverity.Warning,
      information: vscode.DiagnosticSeverity.Information,
      hint: vscode.DiagnosticSeverity.Hint,
    };
    return isSeverity(s) ? map[s] : vscode.DiagnosticSeverity.Error;
  }

  private refusalDiagnostic(doc: vscode.TextDocument, refusal: Refusal, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
    const line = Math.min(Math.max(0, refusal.line - 1), doc.lineCount - 1);
    const text = doc.lineAt(line);
    const start = Math.min(Math.max(0, refusal.column - 1), text.text.length);
    const range = new vscode.Range(line, Math.max(start, text.firstNonWhitespaceCharacterIndex), line, text.range.end.character);
    const explanation = explainVerifierMessage(refusal.message);
    const d = new vscode.Diagnostic(
      range,
      `${refusal.program}: ${refusal.message} (${kernelsText(refusal.refusedBy, refusal.loadsOn)})${explanation ? `\n${explanation}` : ''}`,
      severity,
    );
    d.source = SOURCE;
    d.code = VERIFIER_REJECTED;
    d.relatedInformation = refusal.path
      .filter((p) => !(p.line === refusal.line && path.resolve(p.file) === path.resolve(refusal.file)))
      .map(
        (p) =>
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(vscode.Uri.file(p.file), new vscode.Position(Math.max(0, p.line - 1), 0)),
            `on the failing path: ${p.text.trim()}`,
          ),
      );
    return d;
  }

  /** Each verified or refused program's lines: from its opening line to the next program's. */
  private programSpans(doc: vscode.TextDocument, results: VerifyResult[]): ProgramLines[] {
    const firsts = [...new Set(results.map((r) => r.program).filter((p) => p))]
      .map((program) => ({ program, first: this.programLine(doc, program) }))
      .filter((p): p is { program: string; first: number } => p.first !== undefined)
      .sort((a, b) => a.first - b.first);
    return firsts.map((p, i) => ({ ...p, end: firsts[i + 1]?.first ?? doc.lineCount }));
  }

  /** The 0-based line that opens a program (`BPF_PROG(name`, or `name(`), or undefined. */
  private programLine(doc: vscode.TextDocument, program: string): number | undefined {
    if (!/^\w+$/.test(program)) return undefined;
    const at = doc.getText().search(new RegExp(`BPF_PROG\\w*\\s*\\(\\s*${program}\\b|\\b${program}\\s*\\(`));
    return at < 0 ? undefined : doc.positionAt(at).line;
  }

  private codeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const results = this.shown.get(doc.uri.toString());
    if (!results) return [];
    const programs = [...new Set(results.filter((r) => r.program).map((r) => r.program))];
    return programs.flatMap((program) => {
      const line = this.programLine(doc, program);
      if (line === undefined) return [];
      const mine = results.filter((r) => r.program === program);
      const refused = mine.find((r) => r.verdict === 'rejected');
      return [
        new vscode.CodeLens(doc.lineAt(line).range, {
          title: programLensText(mine),
          tooltip: `The verifier's figures per kernel; click for ${refused ? `${refused.kernel}'s log of the refusal` : 'the log'}`,
          command: 'bpfLsm.showVerifierLog',
          arguments: [doc.uri.toString(), program, (refused ?? mine[0]).kernel],
        }),
      ];
    });
  }

  /** Turns the per-line counts on or off; on, the active program is verified again with the level-2 log. */
  private async toggleInstructionCounts(): Promise<boolean> {
    this.instructionCounts = !this.instructionCounts;
    this.hintsChanged.fire();
    const doc = vscode.window.activeTextEditor?.document;
    if (this.instructionCounts && doc && /\.bpf\.c$/.test(doc.fileName) && vscode.workspace.isTrusted) await this.verify(doc);
    return this.instructionCounts;
  }

  /** At the end of each line the verifier walked: how many instructions it processed there, per kernel. */
  private inlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    if (!this.instructionCounts) return [];
    const results = this.shown.get(doc.uri.toString()) ?? [];
    const perLine = new Map<number, string[]>();
    const kernels = new Set(results.filter((r) => r.lineCounts).map((r) => r.kernel));
    for (const r of results) {
      for (const c of r.lineCounts ?? []) {
        if (path.resolve(c.file) !== path.resolve(doc.fileName) || c.line < 1 || c.line > doc.lineCount) continue;
        const parts = perLine.get(c.line - 1) ?? [];
        parts.push(kernels.size > 1 ? `${r.kernel}: ${c.insns.toLocaleString('en-US')}` : c.insns.toLocaleString('en-US'));
        perLine.set(c.line - 1, parts);
      }
    }
    return [...perLine]
      .filter(([line]) => line >= range.start.line && line <= range.end.line)
      .map(([line, parts]) => {
        const hint = new vscode.InlayHint(
          doc.lineAt(line).range.end,
          `${parts.join(' · ')} insn${parts.length === 1 && parts[0] === '1' ? '' : 's'}`,
        );
        hint.paddingLeft = true;
        hint.tooltip = 'Instructions the verifier processed for this line (each visit on each path counts)';
        return hint;
      });
  }

  private codeActions(doc: vscode.TextDocument, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const results = this.shown.get(doc.uri.toString()) ?? [];
    return ctx.diagnostics
      .filter((d) => d.code === VERIFIER_REJECTED && d.source === SOURCE)
      .flatMap((d) =>
        results
          .filter((r) => r.verdict === 'rejected' && r.line === d.range.start.line + 1 && d.message.startsWith(`${r.program}:`))
          .map((r) => {
            const action = new vscode.CodeAction(`Show the ${r.kernel} verifier log of ${r.program}`, vscode.CodeActionKind.QuickFix);
            action.diagnostics = [d];
            action.command = {
              title: action.title,
              command: 'bpfLsm.showVerifierLog',
              arguments: [doc.uri.toString(), r.program, r.kernel],
            };
            return action;
          }),
      );
  }

  /** Opens a program's verifier log (read-only, the verifier-log grammar, `@ file:line` as links). */
  private async showLog(uri?: string, program?: string, kernel?: string): Promise<vscode.TextEditor | undefined> {
    const key = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    const results = (key && this.shown.get(key)) || [];
    const candidates = results.filter((r) => (!program || r.program === program) && (!kernel || r.kernel === kernel) && r.log);
    let chosen = candidates[0];
    if (candidates.length > 1 && (!program || !kernel)) {
      const pick = await vscode.window.showQuickPick(
        candidates.map((r) => ({ label: `${r.program || '(compile)'} on ${r.kernel}`, description: r.verdict, r })),
        { title: 'Which verifier log?' },
      );
      if (!pick) return undefined;
      chosen = pick.r;
    }
    if (!chosen) throw new Error('No verifier log for this file yet: run BPF LSM: Verify on Target first.');
    return this.logs.open(chosen);
  }

  private setStatus(text: string, tooltip: string): void {
    if (!text) {
      this.statusItem.hide();
      return;
    }
    this.statusItem.text = text;
    this.statusItem.tooltip = tooltip;
    this.statusItem.command = 'bpfLsm.showVerifierLog';
    this.statusItem.show();
  }

  /** The diagnostics shown for a document (for the end-to-end tests). */
  diagnosticsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.diagnostics.get(uri) ?? [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.diagnostics.dispose();
    this.lensChanged.dispose();
    this.hintsChanged.dispose();
    this.statusItem.dispose();
  }
}
