// LSM policy tests (*.lsmtest.yaml) in VS Code's Testing view: a TestController that finds the test files
// (and follows edits, new and deleted files), run profiles per kernel choice, the window's test VMs, and
// the "Run Policy Tests" command, which returns what ran so tests and other extensions can read it.
// Nothing runs in Restricted Mode: a test file's setup, teardown and `run:` steps are shell commands.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TargetSettings } from '../../../common/targetSettings';
import type { PolicyTestFile } from '../../../policy/src/model';
import type { PoolVmInfo } from '../../../policy/src/vmPool';
import { KERNEL_SERIES } from '../../../vm/src/kernels';
import { failureReporter, registerCommand } from '../commands';
import { clearCompileProblems, runTestRequest, type PolicyTestRunResult, type RunContext, type RunPlace } from './testRun';
import { sshTargetSettings } from '../engineAdapters';
import { defaultKernelsFor, readTestSettings, TEST_SECTION } from './testSettings';
import { PolicyTestTree, type TestFileEntry } from './testTree';
import { TestVms } from './testVms';

export type { PolicyTestRunResult } from './testRun';

export const POLICY_TEST_GLOB = '**/*.lsmtest.yaml';
const SUFFIX = '.lsmtest.yaml';

const UNTRUSTED =
  "Policy tests do not run in Restricted Mode: a test file's setup, teardown and run: steps are shell commands from this workspace. Trust the workspace to run them.";

export interface PolicyTestProfiles {
  /** "Run on the default kernels": each file's kernels, else bpfLsm.test.kernels / the project's (or the target, with bpfLsm.test.onTarget). */
  readonly default: vscode.TestRunProfile;
  /** "Run on kernel 6.12" and so on, one per VM kernel series. */
  readonly kernels: ReadonlyMap<string, vscode.TestRunProfile>;
  readonly all: vscode.TestRunProfile;
}

export class PolicyTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('bpfLsmPolicyTests', 'BPF LSM policy tests');
  readonly profiles: PolicyTestProfiles;
  /** The last finished run's results (per file × kernel: the cases and their statuses). */
  lastRun: PolicyTestRunResult | undefined;
  /** Settles once the workspace's test files have been found the first time. */
  readonly ready: Promise<void>;

  private readonly tree: PolicyTestTree;
  /** The window's test VMs, shared with Verify on Target (a VM one of them booted serves the other). */
  readonly vms: TestVms;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('bpf-lsm-policy-tests');
  private readonly places = new Map<vscode.TestRunProfile, () => RunPlace>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pendingParses = new Map<string, NodeJS.Timeout>();
  private readonly warned = new Set<string>();
  private readonly ctx: RunContext;

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly targetSettings: () => TargetSettings,
  ) {
    this.tree = new PolicyTestTree(this.controller, (file) => file.kernels ?? this.defaultKernels(file));
    this.vms = new TestVms(log, () => readTestSettings());
    this.ctx = {
      tree: this.tree,
      vms: this.vms,
      diagnostics: this.diagnostics,
      compileProblems: new Map(),
      log,
      defaultKernels: (file) => this.defaultKernels(file),
      shipped: {
        loader: (machine) => context.asAbsolutePath(path.join('dist', `lsm-loader-${machine}`)),
        actionHelper: (machine) => context.asAbsolutePath(path.join('dist', `lsm-action-${machine}`)),
      },
    };

    const profile = (label: string, place: () => RunPlace, isDefault = false) => {
      const handler = async (request: vscode.TestRunRequest, token: vscode.CancellationToken) => {
        await this.runProfile(p, request, token);
      };
      const p = this.controller.createRunProfile(label, vscode.TestRunProfileKind.Run, handler, isDefault);
      this.places.set(p, place);
      return p;
    };
    this.profiles = {
      default: profile('Run on the default kernels', () => this.defaultPlace(), true),
      kernels: new Map(KERNEL_SERIES.map((k) => [k, profile(`Run on kernel ${k}`, () => ({ kind: 'kernels', kernels: [k] }))])),
      all: profile('Run on all kernels', () => ({ kind: 'kernels', kernels: [...KERNEL_SERIES] })),
    };
    this.updateDefaultProfileLabel();
    this.controller.refreshHandler = () => this.discover();

    const watcher = vscode.workspace.createFileSystemWatcher(POLICY_TEST_GLOB);
    const configWatcher = vscode.workspace.createFileSystemWatcher('**/bpf-lsm.config.json');
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => this.refresh(uri)),
      watcher.onDidChange((uri) => this.refresh(uri)),
      watcher.onDidDelete((uri) => this.removeFile(uri)),
      configWatcher,
      configWatcher.onDidCreate(() => this.tree.refreshKernels()),
      configWatcher.onDidChange(() => this.tree.refreshKernels()),
      configWatcher.onDidDelete(() => this.tree.refreshKernels()),
      vscode.workspace.onDidOpenTextDocument((doc) => this.isTestFile(doc.uri) && this.refresh(doc.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => this.isTestFile(e.document.uri) && this.parseSoon(e.document)),
      // Unsaved edits dropped: back to the file on disk (or gone, when it was never in the workspace).
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (!this.isTestFile(doc.uri)) return;
        if (vscode.workspace.getWorkspaceFolder(doc.uri)) this.refresh(doc.uri);
        else this.removeFile(doc.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(TEST_SECTION)) {
          this.vms.onSettingsChanged();
          this.tree.refreshKernels();
        }
        if (e.affectsConfiguration(TEST_SECTION) || e.affectsConfiguration('bpfLsm.target')) this.updateDefaultProfileLabel();
      }),
    );
    this.ready = this.discover().catch((err) => failureReporter(log)(err, 'Finding the policy test files failed'));
  }

  /** The test items: a file, its cases, and each case's kernels. */
  get items(): vscode.TestItemCollection {
    return this.controller.items;
  }

  /** The test VMs running now. */
  get vmsRunning(): PoolVmInfo[] {
    return this.vms.running;
  }

  /** Stops the test VMs now (the next run boots them again). */
  stopVms(): Promise<void> {
    return this.vms.stop();
  }

  /** Runs a request with its profile (the default one if it names none); undefined when nothing may run. */
  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<PolicyTestRunResult | undefined> {
    return this.runProfile(request.profile ?? this.profiles.default, request, token);
  }

  /** The entry of a test file, found or parsed now (a file outside the workspace, say). */
  entryFor(uri: vscode.Uri): TestFileEntry {
    return this.tree.entry(uri.fsPath) ?? this.refresh(uri);
  }

  /** Finds every *.lsmtest.yaml in the workspace again; files that went are dropped. */
  async discover(): Promise<void> {
    const uris = await vscode.workspace.findFiles(POLICY_TEST_GLOB);
    const found = new Set(uris.map((u) => u.fsPath));
    for (const uri of uris) this.refresh(uri);
    for (const e of this.tree.files()) if (!found.has(e.uri.fsPath) && !this.openDocument(e.uri)) this.tree.remove(e.uri);
    this.log.info(`policy tests: ${uris.length} test file(s) in the workspace`);
  }

  /** A test file went: its items, and clang's messages about its program (unless another file tests it too). */
  private removeFile(uri: vscode.Uri): void {
    const program = this.tree.entry(uri.fsPath)?.file?.program;
    this.tree.remove(uri);
    if (program && !this.tree.files().some((e) => e.file?.program === program)) clearCompileProblems(this.ctx, [program]);
  }

  private isTestFile(uri: vscode.Uri): boolean {
    return uri.scheme === 'file' && uri.fsPath.endsWith(SUFFIX);
  }

  private openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  }

  /** The file as the editor has it if it is open, else as saved. */
  private refresh(uri: vscode.Uri): TestFileEntry {
    const doc = this.openDocument(uri);
    return doc ? this.tree.parse(uri, doc.getText()) : this.tree.load(uri);
  }

  /** Typing in a test file re-parses it once the typing pauses. */
  private parseSoon(doc: vscode.TextDocument): void {
    const k = doc.uri.toString();
    clearTimeout(this.pendingParses.get(k));
    this.pendingParses.set(
      k,
      setTimeout(() => {
        this.pendingParses.delete(k);
        if (!doc.isClosed) this.tree.parse(doc.uri, doc.getText());
      }, 250),
    );
  }

  private defaultKernels(file: PolicyTestFile): string[] {
    return defaultKernelsFor(file.file, (message) => {
      if (this.warned.has(message)) return;
      this.warned.add(message);
      this.log.warn(`policy tests: ${message}`);
    });
  }

  /** The target, when bpfLsm.test.onTarget is on and a destination is set. */
  private target(): TargetSettings | undefined {
    const t = this.targetSettings();
    return readTestSettings().onTarget && t.destination ? t : undefined;
  }

  private defaultPlace(): RunPlace {
    const t = this.target();
    return t ? { kind: 'target', target: sshTargetSettings(t) } : { kind: 'default' };
  }

  private updateDefaultProfileLabel(): void {
    const t = this.target();
    this.profiles.default.label = t ? `Run on the target (${t.destination})` : 'Run on the default kernels';
  }

  private async runProfile(
    profile: vscode.TestRunProfile,
    request: vscode.TestRunRequest,
    token: vscode.CancellationToken,
  ): Promise<PolicyTestRunResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window
        .showWarningMessage(UNTRUSTED, 'Manage Workspace Trust')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
      return undefined;
    }
    await this.ready;
    const place = (this.places.get(profile) ?? (() => this.defaultPlace()))();
    const run = this.controller.createTestRun(request, profile.label, true);
    try {
      const result = await runTestRequest(this.ctx, request, run, place, token);
      this.lastRun = result;
      this.log.info(
        `policy tests: ${result.passed} passed, ${result.failed} failed${result.cancelled ? ' (cancelled)' : ''} in ${(result.durationMs / 1000).toFixed(1)} s`,
      );
      if (result.infrastructureErrors.length > 0 && !result.cancelled) {
        void vscode.window
          .showErrorMessage(`Policy tests could not run everywhere: ${result.infrastructureErrors[0]}`, 'Show Output')
          .then((choice) => choice && this.log.show());
      }
      return result;
    } catch (err) {
      failureReporter(this.log)(err, 'The policy test run failed');
      return undefined;
    }
  }

  /** Stops the test VMs and waits for QEMU to exit (deactivate awaits this). */
  async shutdown(): Promise<void> {
    await this.vms.shutdown();
  }

  dispose(): void {
    for (const t of this.pendingParses.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    this.vms.dispose();
    this.diagnostics.dispose();
    this.controller.dispose();
  }
}

/** The Testing view's policy tests and the "Run Policy Tests" command. */
export function registerPolicyTests(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  targetSettings: () => TargetSettings,
): PolicyTests {
  const tests = new PolicyTests(context, log, targetSettings);
  context.subscriptions.push(tests);
  registerCommand(
    context,
    log,
    'bpfLsm.runPolicyTests',
    async (file?: vscode.Uri | string): Promise<PolicyTestRunResult | undefined> => {
      if (!vscode.workspace.isTrusted) throw new Error(UNTRUSTED);
      await tests.ready;
      const active = vscode.window.activeTextEditor?.document.uri;
      const uri =
        typeof file === 'string' ? vscode.Uri.file(file) : (file ?? (active && active.fsPath.endsWith(SUFFIX) ? active : undefined));
      const request = new vscode.TestRunRequest(uri ? [tests.entryFor(uri).item] : undefined, undefined, tests.profiles.default);
      return vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Running ${uri ? vscode.workspace.asRelativePath(uri) : 'the policy tests'}`,
          cancellable: true,
        },
        (_progress, token) => tests.run(request, token),
      );
    },
    'Running the policy tests failed',
  );
  return tests;
}
